/**
 * Per-request bookkeeping for the demo: whether the view ran (so the app can say `X-Cache:
 * miss`) or the response came from a cache (`hit`), and a `Server-Timing` header that carries
 * the timing and the cache headers to the page's footer (a navigation's own headers are not
 * readable from JavaScript, but its `Server-Timing` entries are).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { OutgoingHttpHeaders } from 'node:http'
import type { NextFunction, Request, Response } from 'express'

interface RequestState {
  rendered: boolean
}

const store = new AsyncLocalStorage<RequestState>()

/** Call from a view when it really renders, so the response is marked `X-Cache: miss`. */
export function markRendered(): void {
  const s = store.getStore()
  if (s) s.rendered = true
}

/** The headers the footer shows, in this order. */
const SHOWN = ['cache-control', 'vary', 'age', 'expires'] as const

function headerFrom(res: Response, extra: OutgoingHttpHeaders, name: string): string | undefined {
  const v = extra[name] ?? res.getHeader(name)
  if (v === undefined) return undefined
  return Array.isArray(v) ? v.join(', ') : String(v)
}

function headersArg(args: unknown[]): OutgoingHttpHeaders {
  const last = args[args.length - 1]
  if (Array.isArray(last)) {
    const out: OutgoingHttpHeaders = {}
    for (let i = 0; i + 1 < last.length; i += 2) out[String(last[i]).toLowerCase()] = String(last[i + 1])
    return out
  }
  if (last && typeof last === 'object') {
    const out: OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(last as OutgoingHttpHeaders)) out[k.toLowerCase()] = v
    return out
  }
  return {}
}

/**
 * Express middleware: wraps `res.writeHead` to add `X-Cache` (for routes in `watched`) and
 * `Server-Timing` just before the headers go out, whoever writes them.
 */
export function cacheStatus(watched: (req: Request) => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const state: RequestState = { rendered: false }
    // Decided now: Express rewrites req.url under mounted middleware (app.use('/api', …)).
    const isWatched = watched(req) && req.method === 'GET'
    const started = performance.now()
    const original = res.writeHead
    const patched = function (this: Response, ...args: unknown[]) {
      if (!res.headersSent) {
        const extra = headersArg(args)
        const status = typeof args[0] === 'number' ? args[0] : res.statusCode
        const timings = [`app;dur=${(performance.now() - started).toFixed(1)}`]
        if (isWatched && status < 400) {
          const verdict = state.rendered ? 'miss' : 'hit'
          res.setHeader('X-Cache', verdict)
          timings.push(`cache;desc="${verdict}"`)
        }
        for (const name of SHOWN) {
          const v = headerFrom(res, extra, name)
          if (v !== undefined) timings.push(`${name.replace('-', '')};desc="${v.replace(/["\\]/g, '')}"`)
        }
        res.setHeader('Server-Timing', timings.join(', '))
      }
      return (original as (...a: unknown[]) => Response).apply(this, args)
    }
    res.writeHead = patched as typeof res.writeHead
    store.run(state, next)
  }
}
