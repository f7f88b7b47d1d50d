/**
 * The Koa 3 conformance harness: the route table as @koa/router routes behind
 * `cacheMiddleware` from `@cachework/node/koa`, on 127.0.0.1.
 */
import { Readable } from 'node:stream'
import Router from '@koa/router'
import Koa from 'koa'
import { cacheMiddleware } from '../../src/koa.ts'
import { isStreamBody, plainHeaders, type StartServer } from './adapter-conformance.ts'
import { listenNode } from './node-harness.ts'

export const startKoa: StartServer = (routes, options) => {
  const app = new Koa()
  const router = new Router()
  app.use(cacheMiddleware(options))
  for (const route of routes) {
    router.all(route.path, async (ctx) => {
      const r = await route.view({ method: ctx.method, url: ctx.url, headers: plainHeaders(ctx.headers) })
      ctx.status = r.status ?? 200
      for (const [k, v] of Object.entries(r.headers ?? {})) ctx.set(k, v)
      // Koa sends a Buffer as bytes but a plain Uint8Array as JSON.
      const body = r.body instanceof Uint8Array ? Buffer.from(r.body) : r.body
      ctx.body = isStreamBody(body) ? Readable.from(body) : (body ?? '')
    })
  }
  app.use(router.routes())
  return listenNode(app.callback())
}
