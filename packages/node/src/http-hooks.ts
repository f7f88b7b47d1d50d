/**
 * "Before headers" hooks on a `ServerResponse`: how `cacheControl`, `neverCache` and
 * `varyOnHeaders` patch a response after the view, as Django's decorators do, without buffering
 * it. A hook runs once, just before the headers leave (or before the response cache captures
 * them); hooks run newest first, so an inner decorator patches before an outer one, as in Django.
 */
import type { ServerResponse } from 'node:http'

type Hook = (res: ServerResponse) => void
const HOOKS = Symbol('cachework.headerHooks')
interface Hooked extends ServerResponse {
  [HOOKS]?: Hook[]
}

/** Run (and drop) the hooks registered at index `from` or later, newest first. */
export function runHeaderHooks(res: ServerResponse, from = 0): void {
  const hooks = (res as Hooked)[HOOKS]
  if (!hooks) return
  while (hooks.length > from) (hooks.pop() as Hook)(res)
}

/** How many hooks are pending: a capture started now owns the hooks registered after it. */
export function headerHookMark(res: ServerResponse): number {
  return (res as Hooked)[HOOKS]?.length ?? 0
}

/** Register `hook` to patch `res`'s headers once, just before they are sent. */
export function beforeHeaders(res: ServerResponse, hook: Hook): void {
  installHeaderHooks(res).push(hook)
}

/** Wrap `res.writeHead` once so pending hooks run before headers are sent; returns the hook list. */
export function installHeaderHooks(res: ServerResponse): Hook[] {
  const r = res as Hooked
  let hooks = r[HOOKS]
  if (!hooks) {
    hooks = r[HOOKS] = []
    // Every way headers leave goes through writeHead (end/write/flushHeaders call
    // _implicitHeader → this.writeHead), so one wrapper sees them all (as `on-headers` does).
    const writeHead = res.writeHead
    res.writeHead = function patchedWriteHead(this: ServerResponse, ...args: unknown[]) {
      if (typeof args[0] === 'number') this.statusCode = args[0]
      // Headers passed to writeHead itself must be visible to the hooks.
      const last = args[args.length - 1]
      if (args.length > 1 && last && typeof last === 'object' && !Array.isArray(last)) {
        for (const [k, v] of Object.entries(last)) if (v !== undefined) this.setHeader(k, v as string)
        args.pop()
      }
      runHeaderHooks(this)
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
    } as ServerResponse['writeHead']
  }
  return hooks
}

const PATCHED = ['cache-control', 'expires', 'vary'] as const

/**
 * Apply a core helper that works on Fetch `Headers` (`patchCacheControl`, `addNeverCacheHeaders`,
 * `patchVaryHeaders`) to the cache headers of a Node response.
 */
export function patchNodeHeaders(res: ServerResponse, patch: (h: Headers) => void): void {
  const h = new Headers()
  for (const name of PATCHED) {
    const v = res.getHeader(name)
    if (v !== undefined) h.set(name, Array.isArray(v) ? v.join(', ') : String(v))
  }
  patch(h)
  for (const name of PATCHED) {
    const v = h.get(name)
    if (v === null) res.removeHeader(name)
    else res.setHeader(name, v)
  }
}
