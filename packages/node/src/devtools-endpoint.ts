/**
 * `devtoolsEndpoint()`: a node:http / Connect / Express middleware that lets the cachework
 * devtools panel (through the Vite plugin's proxy) inspect this process's caches. JSON
 * endpoints `list`, `stats`, `value`, `delete`, `clear`, `bump` and live updates over SSE
 * (`events`). It answers only in development, only loopback peers, only with the shared token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type Cache, CacheError, type CacheStats } from '@cachework/core'
import { CacheInspector, type InspectorOp, inspectedCaches } from '@cachework/core/inspect'
import {
  isLoopbackAddress,
  isProduction,
  SHARED_TOKEN_ENV,
  sharedToken,
  sharedTokenSource,
  tokensEqual,
} from '@cachework/devtools/security'

/** The operations that change caches, each a POST route (`/delete`, `/touch`, …). */
const WRITE_OPS = new Set(['delete', 'clear', 'bump', 'touch', 'edit', 'invalidateTags'])

export { isLoopbackAddress } from '@cachework/devtools/security'

/** Options of `devtoolsEndpoint`. */
export interface DevtoolsEndpointOptions {
  /** Mount path. Default `'/__cachework'`. */
  path?: string
  /**
   * The secret shared with the Vite plugin. Default: `CACHEWORK_DEVTOOLS_TOKEN`, else the file
   * `node_modules/.cache/cachework/devtools-token` under the working directory (created on
   * first use, mode 0600; the plugin reads the same file).
   */
  token?: string
  /** Where the token file is looked for (`node_modules/.cache/…` under it). Default `process.cwd()`. */
  cwd?: string
  /** The caches to inspect. Default: core's `caches` and every `inspectCache`d cache. */
  caches?: () => Cache[]
  /** Most entries listed per cache. Default 20,000. */
  maxEntries?: number
}

/** Thrown when `devtoolsEndpoint()` is called with `NODE_ENV=production`. */
export class DevtoolsInProductionError extends CacheError {
  constructor(message: string) {
    super('ERR_CACHEWORK_DEVTOOLS_IN_PRODUCTION', message)
  }
}

/** A middleware usable with node:http (`(req, res)`) and Connect/Express (`(req, res, next)`). */
export type DevtoolsMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void

/**
 * The devtools token shared with the Vite plugin: `explicit`, else `CACHEWORK_DEVTOOLS_TOKEN`,
 * else `node_modules/.cache/cachework/devtools-token` under `cwd` (created when missing).
 */
export const devtoolsToken: (explicit?: string, cwd?: string) => string = sharedToken

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  // Express's json() may have parsed it already.
  const pre = (req as { body?: unknown }).body
  if (pre && typeof pre === 'object') return pre as Record<string, unknown>
  let text = ''
  for await (const chunk of req) {
    text += String(chunk)
    if (text.length > 65_536) throw new Error('request body too large')
  }
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

/**
 * Mount the devtools endpoint: `app.use(devtoolsEndpoint())`, or wrap a node:http handler.
 * Throws `DevtoolsInProductionError` when `NODE_ENV=production`: devtools never run there.
 */
export function devtoolsEndpoint(options: DevtoolsEndpointOptions = {}): DevtoolsMiddleware {
  if (isProduction()) {
    throw new DevtoolsInProductionError(
      'devtoolsEndpoint() refuses to mount with NODE_ENV=production: mount it only in development',
    )
  }
  const base = (options.path ?? '/__cachework').replace(/\/$/, '')
  const inspector = new CacheInspector(options.caches ?? inspectedCaches, {
    maxEntries: options.maxEntries ?? 20_000,
  })
  let token: string | undefined
  const stats = (): Record<string, CacheStats> =>
    Object.fromEntries(inspector.caches().map(({ id, cache }) => [id, cache.stats()]))

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    res.write(': cachework devtools\n\n')
    const off = inspector.subscribe((batch) => res.write(`data: ${JSON.stringify(batch)}\n\n`))
    req.on('close', off)
  }

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    url: URL,
  ): Promise<void> => {
    const get = req.method === 'GET' || req.method === 'HEAD'
    if (get && route === '/list') return send(res, 200, await inspector.run({ op: 'list' }))
    if (get && route === '/stats') return send(res, 200, { stats: stats() })
    if (get && route === '/events') return events(req, res)
    if (get && route === '/value') {
      const cache = String(url.searchParams.get('cache'))
      const rawKey = String(url.searchParams.get('rawKey'))
      return send(res, 200, await inspector.run({ op: 'value', cache, rawKey }))
    }
    const op = route.slice(1)
    if (req.method !== 'POST' || !WRITE_OPS.has(op))
      return send(res, 404, { error: `no devtools route ${req.method} ${route}` })
    const body = await readJson(req)
    return send(res, 200, await inspector.run({ ...body, op } as InspectorOp))
  }

  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    // Mounted with app.use(devtoolsEndpoint()) or a bare node:http server, req.url holds the
    // full path; mounted with app.use('/__cachework', …), Connect strips it (originalUrl keeps it).
    const original = new URL(
      (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
      'http://127.0.0.1',
    )
    let route: string
    if (url.pathname === base || url.pathname.startsWith(`${base}/`))
      route = url.pathname.slice(base.length) || '/'
    else if (original.pathname.startsWith(`${base}/`) && original.pathname !== url.pathname)
      route = url.pathname
    else if (next) return next()
    else return send(res, 404, { error: `not a devtools route: ${url.pathname}` })
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      return send(res, 403, { error: 'forbidden: the devtools endpoint answers only loopback clients' })
    }
    try {
      token ??= devtoolsToken(options.token, options.cwd)
    } catch (e) {
      // The token file cannot be read or written (read-only checkout, node_modules a file): answer
      // 503 with what to do instead of throwing from the request handler (which ends the process).
      return send(res, 503, {
        error: `devtools token unavailable: ${(e as Error).message}. Set ${SHARED_TOKEN_ENV} or pass devtoolsEndpoint({ token }).`,
      })
    }
    if (!tokensEqual(req.headers['x-cachework-token'], token)) {
      // Say where this side looked (never the token), so a mismatch can be fixed.
      return send(res, 403, {
        error: 'forbidden: missing or wrong x-cachework-token',
        tokenFrom: sharedTokenSource(options.token, options.cwd),
        cwd: options.cwd ?? process.cwd(),
      })
    }
    handle(req, res, route, url).catch((e: unknown) => {
      if (!res.headersSent) send(res, 400, { error: e instanceof Error ? e.message : String(e) })
      else res.end()
    })
  }
}
