/**
 * The Hono conformance harnesses: the route table as a Hono app behind `cacheMiddleware` from
 * `@cachework/core/hono` (`startHono`), or the bare app wrapped by `cacheApp` (`startHonoApp`),
 * served by `@hono/node-server` on 127.0.0.1.
 */
import { serve } from '@hono/node-server'
import { cacheApp, cacheMiddleware } from '@cachework/core/hono'
import { Hono } from 'hono'
import { isStreamBody, type StartServer } from './adapter-conformance.ts'

/** An async iterable of strings as a web `ReadableStream` of bytes, pulled one chunk at a time. */
function webStream(body: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]()
  const enc = new TextEncoder()
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await it.next()
      if (done) controller.close()
      else controller.enqueue(enc.encode(value))
    },
  })
}

/** The route table as a Hono app with site-wide caching. */
export function honoApp(...[routes, options]: Parameters<StartServer>): Hono {
  const app = new Hono()
  // `app`: shared mode re-runs the app for background revalidation (docs/contract.md S7).
  app.use('*', cacheMiddleware({ ...options, app }))
  return honoRoutes(app, routes)
}

/** The route table's handlers on `app`. */
function honoRoutes(app: Hono, routes: Parameters<StartServer>[0]): Hono {
  for (const route of routes) {
    app.on(['GET', 'POST'], route.path, async (c) => {
      const url = new URL(c.req.url)
      const headers: Record<string, string> = {}
      c.req.raw.headers.forEach((v, k) => {
        headers[k] = v
      })
      const r = await route.view({ method: c.req.raw.method, url: url.pathname + url.search, headers })
      const out = new Headers()
      for (const [k, v] of Object.entries(r.headers ?? {})) {
        for (const item of Array.isArray(v) ? v : [v]) out.append(k, item)
      }
      const body = isStreamBody(r.body) ? webStream(r.body) : (r.body ?? '')
      return new Response(body as BodyInit, { status: r.status ?? 200, headers: out })
    })
  }
  return app
}

export const startHono: StartServer = (routes, options) => serveHono(honoApp(routes, options).fetch)

/** The route table as a bare Hono app, cached in front of its router by `cacheApp`. */
export const startHonoApp: StartServer = (routes, options) =>
  serveHono(cacheApp(honoRoutes(new Hono(), routes), options).fetch)

function serveHono(fetch: (request: Request) => Response | Promise<Response>): ReturnType<StartServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        baseUrl: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            ;(server as import('node:http').Server).closeAllConnections?.()
            server.close(() => done())
          }),
      })
    })
  })
}
