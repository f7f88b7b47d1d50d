/**
 * The Fastify, Hono and Koa servers of the `http` bench suite (kinds `fw-*`), each as a
 * node:http request listener so http-server.ts runs them like the others. Every one answers
 * `GET /page` with the same ~1 KiB page (http-page.ts) as `text/html; charset=utf-8`.
 */
import { createRequire } from 'node:module'
import { createServer, type RequestListener } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { cacheApp, cacheMiddleware as honoCache } from '@cachework/core/hono'
import { fastifyCache } from '@cachework/node/fastify'
import { cacheMiddleware as koaCache } from '@cachework/node/koa'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { PAGE } from './http-page.ts'

const require = createRequire(import.meta.url)
const HTML = 'text/html; charset=utf-8'

/** A Fastify app's request listener (Fastify builds it once the app is ready). */
export async function fastifyListener(
  configure: (app: FastifyInstance) => Promise<void>,
): Promise<RequestListener> {
  let listener: RequestListener | undefined
  const app = Fastify({
    serverFactory: (handler) => {
      listener = handler as RequestListener
      return createServer(handler)
    },
  })
  await configure(app)
  await app.ready()
  return listener as RequestListener
}

function honoApp(cached: boolean | 'no-op'): Hono {
  const app = new Hono()
  // 'no-op': one middleware that only awaits `next()`, the floor any Hono middleware pays.
  if (cached === 'no-op') app.use('*', async (_c, next) => await next())
  else if (cached) app.use('*', honoCache({ seconds: 600 }))
  app.get('/page', (c) => c.body(PAGE, 200, { 'content-type': HTML }))
  return app
}

function koaApp(middleware?: Koa.Middleware): Koa {
  const app = new Koa()
  if (middleware) app.use(middleware)
  app.use(async (ctx) => {
    if (ctx.path !== '/page') return
    // koa-cash serves its hit here (`ctx.cashed()` resolves true); others ignore the call.
    const cashed = (ctx as Koa.Context & { cashed?: () => Promise<boolean> }).cashed
    if (cashed && (await cashed())) return
    ctx.type = HTML
    ctx.body = PAGE
  })
  return app
}

/** The listener for a `fw-*` kind. */
export async function frameworkListener(kind: string): Promise<RequestListener> {
  switch (kind) {
    case 'fw-fastify':
      return fastifyListener(async (app) => {
        app.get('/page', (_req, reply) => reply.type(HTML).send(PAGE))
      })
    case 'fw-fastify-cached':
      return fastifyListener(async (app) => {
        await app.register(fastifyCache, { seconds: 600, global: true })
        app.get('/page', (_req, reply) => reply.type(HTML).send(PAGE))
      })
    case 'fw-fastify-caching':
      return fastifyListener(async (app) => {
        // @fastify/caching sets Cache-Control/ETag headers; the handler runs on every request.
        const caching = require('@fastify/caching')
        await app.register(caching, { privacy: caching.privacy.PUBLIC, expiresIn: 600 })
        app.get('/page', (_req, reply) => reply.type(HTML).send(PAGE))
      })
    case 'fw-hono':
      return getRequestListener(honoApp(false).fetch)
    case 'fw-hono-cached':
      return getRequestListener(honoApp(true).fetch)
    case 'fw-hono-app':
      // cacheApp in front of the bare app: a hit never enters Hono's router.
      return getRequestListener(cacheApp(honoApp(false), { seconds: 600 }).fetch)
    case 'fw-hono-noop':
      return getRequestListener(honoApp('no-op').fetch)
    case 'fw-koa':
      return koaApp().callback()
    case 'fw-koa-cached':
      return koaApp(koaCache({ seconds: 600 })).callback()
    case 'fw-koa-cash': {
      const koaCash = require('koa-cash') as (o: object) => Koa.Middleware
      const store = new Map<string, unknown>()
      return koaApp(
        koaCash({
          get: (key: string) => store.get(key),
          set: (key: string, value: unknown) => void store.set(key, value),
        }),
      ).callback()
    }
    default:
      throw new Error(`unknown server kind: ${kind}`)
  }
}
