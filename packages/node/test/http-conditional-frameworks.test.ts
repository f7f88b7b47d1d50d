// Django's condition / etag / last_modified on Fastify, Hono and Koa (`@cachework/node/fastify`,
// `@cachework/core/hono`, `@cachework/node/koa`): one scenario per framework, real servers on
// 127.0.0.1, view runs counted. A matching precondition answers without running the view.
import Router from '@koa/router'
import { getRequestListener } from '@hono/node-server'
import * as honoCache from '@cachework/core/hono'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterAll, describe, expect, it } from 'vitest'
import * as fastifyCache from '../src/fastify.ts'
import * as koaCache from '../src/koa.ts'
import type { ConformanceServer } from './support/adapter-conformance.ts'
import { listenNode } from './support/node-harness.ts'

const LM = Date.UTC(2026, 0, 1)
const servers: ConformanceServer[] = []
afterAll(async () => {
  for (const s of servers) await s.close()
})

/** What each framework's app does: GET /page under `condition`, PUT /page under `etag`. */
interface Started {
  base: string
  runs: () => number
}

async function checks(start: () => Promise<Started>): Promise<void> {
  const { base, runs } = await start()
  const first = await fetch(`${base}/page`)
  expect(first.status).toBe(200)
  expect(await first.text()).toBe('page')
  expect(first.headers.get('etag')).toBe('"v-page"')
  expect(first.headers.get('last-modified')).toBe(new Date(LM).toUTCString())
  const inm = await fetch(`${base}/page`, { headers: { 'if-none-match': '"v-page"' } })
  expect(inm.status).toBe(304)
  expect(inm.headers.get('etag')).toBe('"v-page"')
  const ims = await fetch(`${base}/page`, { headers: { 'if-modified-since': new Date(LM).toUTCString() } })
  expect(ims.status).toBe(304)
  const changed = await fetch(`${base}/page`, { headers: { 'if-none-match': '"old"' } })
  expect(changed.status).toBe(200)
  expect(await changed.text()).toBe('page')
  expect(runs()).toBe(2)
  expect((await fetch(`${base}/page`, { method: 'PUT', headers: { 'if-match': '"y"' } })).status).toBe(412)
  expect(runs()).toBe(2)
  expect((await fetch(`${base}/page`, { method: 'PUT', headers: { 'if-match': '"x"' } })).status).toBe(200)
  expect(runs()).toBe(3)
}

describe('conditional view decorators on Fastify, Hono and Koa', () => {
  it('Fastify: condition / etag as route preHandler hooks', async () => {
    let n = 0
    const app = Fastify()
    app.get(
      '/page',
      {
        preHandler: fastifyCache.condition({
          etag: (req) => `v-${req.url.slice(1)}`,
          lastModified: () => LM,
        }),
      },
      async () => {
        n++
        return 'page'
      },
    )
    app.put('/page', { preHandler: fastifyCache.etag(() => '"x"') }, async () => {
      n++
      return 'put'
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const addr = app.server.address() as { port: number }
    servers.push({ baseUrl: '', close: () => app.close() })
    await checks(async () => ({ base: `http://127.0.0.1:${addr.port}`, runs: () => n }))
  })

  it('Hono: condition / etag as middleware', async () => {
    let n = 0
    const app = new Hono()
    app.get(
      '/page',
      honoCache.condition({
        etag: (req) => `v-${new URL(req.url).pathname.slice(1)}`,
        lastModified: () => LM,
      }),
      (c) => {
        n++
        return c.text('page')
      },
    )
    app.put(
      '/page',
      honoCache.etag(() => '"x"'),
      (c) => {
        n++
        return c.text('put')
      },
    )
    const s = await listenNode(getRequestListener(app.fetch))
    servers.push(s)
    await checks(async () => ({ base: s.baseUrl, runs: () => n }))
  })

  it('Koa: condition / etag as middleware', async () => {
    let n = 0
    const app = new Koa()
    const router = new Router()
    router.get(
      '/page',
      koaCache.condition({ etag: (ctx) => `v-${ctx.path.slice(1)}`, lastModified: () => new Date(LM) }),
      (ctx) => {
        n++
        ctx.body = 'page'
      },
    )
    router.put(
      '/page',
      koaCache.etag(() => '"x"'),
      (ctx) => {
        n++
        ctx.body = 'put'
      },
    )
    app.use(router.routes())
    const s = await listenNode(app.callback())
    servers.push(s)
    await checks(async () => ({ base: s.baseUrl, runs: () => n }))
  })
})
