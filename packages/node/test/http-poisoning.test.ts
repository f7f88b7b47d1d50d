/**
 * The HTTP poisoning suite (support/poisoning-suite.ts) run by every Node adapter: a plain
 * node:http server with `cacheMiddleware`, Express with `cacheMiddleware`, with route-level
 * `cachePage`, with the two middleware halves, and core's Fetch-style `cachePage` behind a
 * minimal node→Fetch bridge (the way Fetch adapters such as @hono/node-server build requests).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cachePage as fetchCachePage } from '@cachework/core/http'
import express from 'express'
import { cacheMiddleware, cachePage, fetchFromCacheMiddleware, updateCacheMiddleware } from '../src/http.ts'
import {
  matchRoute,
  type PoisonReply,
  type PoisonRequest,
  type PoisonRoute,
  type PoisonServer,
  poisoningSuite,
} from './support/poisoning-suite.ts'

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<PoisonServer> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function write(res: ServerResponse, reply: PoisonReply): void {
  res.statusCode = reply.status ?? 200
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v)
  res.end(reply.body ?? '')
}

const headersOf = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

const first = (v: string | string[] | undefined): string | undefined =>
  (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim()

/** A hand-rolled router for plain node:http: raw path, `:name` decoded, proxies only when trusted. */
function nodeRouter(routes: PoisonRoute[], trustProxy: boolean) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    // An absolute-form target (RFC 9112 §3.2.2): route on its path, as Express's parseurl does.
    const url = (req.url ?? '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    const [path = '/', search = ''] = url.split('#')[0]?.split('?') ?? []
    for (const route of routes) {
      const params = matchRoute(route.path, path)
      if (params === undefined) continue
      const host = (trustProxy ? first(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host ?? ''
      const protocol = (trustProxy ? first(req.headers['x-forwarded-proto']) : undefined) ?? 'http'
      const query = Object.fromEntries(new URLSearchParams(search))
      const view: PoisonRequest = {
        method: req.method ?? 'GET',
        url,
        headers: headersOf(req),
        params,
        host,
        protocol,
        query,
      }
      write(res, route.view(view))
      return
    }
    res.statusCode = 404
    res.end()
  }
}

/** Express routes for the suite's table, reading what Express routes on. */
function expressRoutes(
  app: express.Express,
  routes: PoisonRoute[],
  wrap?: (view: express.RequestHandler) => express.RequestHandler,
): void {
  for (const route of routes) {
    const view: express.RequestHandler = (req, res) => {
      const reply = route.view({
        method: req.method,
        url: req.originalUrl,
        headers: headersOf(req),
        params: req.params as Record<string, string>,
        host: req.host,
        protocol: req.protocol,
        query: req.query as Record<string, string>,
      })
      write(res, reply)
    }
    app.get(route.path, wrap ? wrap(view) : view)
  }
}

poisoningSuite('node:http cacheMiddleware', (routes, options) =>
  listen(cacheMiddleware(options)(nodeRouter(routes, options.trustProxy === true))),
)

poisoningSuite(
  'Express cacheMiddleware',
  (routes, options) => {
    const app = express()
    if (options.trustProxy) app.set('trust proxy', true)
    app.use(cacheMiddleware(options))
    expressRoutes(app, routes)
    return listen(app)
  },
  { frameworkTrust: true },
)

poisoningSuite(
  'Express cachePage',
  (routes, { alias, ...options }) => {
    const app = express()
    if (options.trustProxy) app.set('trust proxy', true)
    const page = cachePage(60, { ...options, cache: alias })
    expressRoutes(app, routes, (view) => page(view))
    return listen(app)
  },
  { frameworkTrust: true },
)

poisoningSuite(
  'Express two halves',
  (routes, options) => {
    const app = express()
    if (options.trustProxy) app.set('trust proxy', true)
    app.use(updateCacheMiddleware(options))
    app.use(fetchFromCacheMiddleware(options))
    expressRoutes(app, routes)
    return listen(app)
  },
  { frameworkTrust: true },
)

poisoningSuite('core Fetch cachePage behind a node→Fetch bridge', (routes, { alias, ...options }) => {
  const handler = fetchCachePage(60, { ...options, cache: alias })(async (request: Request) => {
    const u = new URL(request.url)
    for (const route of routes) {
      const params = matchRoute(route.path, u.pathname)
      if (params === undefined) continue
      const headers: Record<string, string> = {}
      request.headers.forEach((v, k) => {
        headers[k] = v
      })
      const reply = route.view({
        method: request.method,
        url: u.pathname + u.search,
        headers,
        params,
        host: u.host,
        protocol: u.protocol.slice(0, -1),
        query: Object.fromEntries(u.searchParams),
      })
      return new Response(reply.body ?? '', {
        status: reply.status ?? 200,
        headers: toHeaders(reply.headers),
      })
    }
    return new Response('', { status: 404 })
  })
  return listen((req, res) => {
    // What a Fetch bridge does: the URL from the Host header (or the trusted forwarded headers)
    // and the raw target; an absolute-form target is taken as the URL.
    let request: Request
    try {
      const headers = new Headers()
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
      const trusted = options.trustProxy === true
      const host = (trusted ? first(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host
      const proto = (trusted ? first(req.headers['x-forwarded-proto']) : undefined) ?? 'http'
      const target = req.url ?? '/'
      request = new Request(/^https?:\/\//.test(target) ? target : `${proto}://${host}${target}`, { headers })
    } catch {
      res.statusCode = 400
      res.end()
      return
    }
    void handler(request).then(async (response) => {
      res.statusCode = response.status
      response.headers.forEach((v, k) => {
        if (k !== 'set-cookie') res.setHeader(k, v)
      })
      const cookies = response.headers.getSetCookie()
      if (cookies.length > 0) res.setHeader('set-cookie', cookies)
      res.end(Buffer.from(await response.arrayBuffer()))
    })
  })
})

function toHeaders(h: PoisonReply['headers']): Headers {
  const out = new Headers()
  for (const [k, v] of Object.entries(h ?? {})) for (const x of Array.isArray(v) ? v : [v]) out.append(k, x)
  return out
}
