/**
 * The HTTP poisoning suite (support/poisoning-suite.ts) run by the Fastify, Hono and Koa
 * adapters. Each harness routes with its framework's own router (`:name` params, decoding) and
 * gives the view what the framework says the host and scheme are (Fastify `request.host` /
 * `trustProxy`, Koa `ctx.host` / `app.proxy`, Hono the request URL @hono/node-server builds).
 */
import { serve } from '@hono/node-server'
import { cacheMiddleware as honoCache } from '@cachework/core/hono'
import Router from '@koa/router'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { fastifyCache } from '../src/fastify.ts'
import { cacheMiddleware as koaCache } from '../src/koa.ts'
import { plainHeaders } from './support/adapter-conformance.ts'
import { listenNode } from './support/node-harness.ts'
import { type PoisonReply, type PoisonServer, poisoningSuite } from './support/poisoning-suite.ts'

const first = (v: string | null | undefined): string | undefined => v?.split(',')[0]?.trim() || undefined

poisoningSuite(
  'Fastify fastifyCache',
  async (routes, { trustProxy, ...options }) => {
    const app = Fastify({ trustProxy: trustProxy === true })
    await app.register(fastifyCache, { ...options, global: true })
    for (const route of routes) {
      app.get(route.path, async (request, reply) => {
        const r = route.view({
          method: request.method,
          url: request.url,
          headers: plainHeaders(request.headers),
          params: request.params as Record<string, string>,
          host: request.host,
          protocol: request.protocol,
          query: request.query as Record<string, string>,
        })
        reply.code(r.status ?? 200)
        for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v)
        return reply.send(r.body ?? '')
      })
    }
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() }
  },
  { frameworkTrust: true },
)

poisoningSuite(
  'Koa cacheMiddleware',
  (routes, { trustProxy, ...options }) => {
    const app = new Koa()
    app.proxy = trustProxy === true
    const router = new Router()
    app.use(koaCache(options))
    for (const route of routes) {
      router.get(route.path, (ctx) => {
        const r = route.view({
          method: ctx.method,
          url: ctx.url,
          headers: plainHeaders(ctx.headers),
          params: ctx.params as Record<string, string>,
          host: ctx.host,
          protocol: ctx.protocol,
          query: ctx.query as Record<string, string>,
        })
        ctx.status = r.status ?? 200
        for (const [k, v] of Object.entries(r.headers ?? {})) ctx.set(k, v)
        ctx.body = r.body ?? ''
      })
    }
    app.use(router.routes())
    return listenNode(app.callback())
  },
  { frameworkTrust: true },
)

function toHeaders(h: PoisonReply['headers']): Headers {
  const out = new Headers()
  for (const [k, v] of Object.entries(h ?? {})) for (const x of Array.isArray(v) ? v : [v]) out.append(k, x)
  return out
}

poisoningSuite('Hono cacheMiddleware', (routes, { trustProxy, ...options }) => {
  const app = new Hono()
  app.use('*', honoCache(options))
  for (const route of routes) {
    app.get(route.path, (c) => {
      const url = new URL(c.req.url)
      // Hono has no proxy setting: an app behind a trusted proxy reads the headers itself.
      const host = (trustProxy ? first(c.req.header('x-forwarded-host')) : undefined) ?? url.host
      const protocol =
        (trustProxy ? first(c.req.header('x-forwarded-proto')) : undefined) ?? url.protocol.slice(0, -1)
      const headers: Record<string, string> = {}
      c.req.raw.headers.forEach((v, k) => {
        headers[k] = v
      })
      const r = route.view({
        method: c.req.method,
        url: url.pathname + url.search,
        headers,
        params: c.req.param() as Record<string, string>,
        host,
        protocol,
        query: c.req.query(),
      })
      return new Response(r.body ?? '', { status: r.status ?? 200, headers: toHeaders(r.headers) })
    })
  }
  return new Promise<PoisonServer>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
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
})
