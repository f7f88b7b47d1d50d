/**
 * The Koa 3 adapter (`@cachework/node/koa`): the conformance suite, per-route `cachePage` and
 * the header middleware with @koa/router, through real sockets.
 */
import { createCaches } from '@cachework/core'
import Router from '@koa/router'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheControl, cachePage, neverCache, varyOnCookie, varyOnHeaders } from '../src/koa.ts'
import { adapterConformanceSuite, type ConformanceServer } from './support/adapter-conformance.ts'
import { startKoa } from './support/koa-harness.ts'
import { listenNode } from './support/node-harness.ts'

adapterConformanceSuite('Koa 3', startKoa)

describe('Koa per-route wrappers with @koa/router', () => {
  const servers: ConformanceServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('cachePage beats max-age; cacheControl, neverCache, varyOnHeaders and varyOnCookie patch before storing', async () => {
    const registry = createCaches({ default: { backend: 'locmem', location: 'koa-routes' } })
    const runs: Record<string, number> = {}
    const view = (name: string) => (ctx: Koa.Context) => {
      runs[name] = (runs[name] ?? 0) + 1
      ctx.set('cache-control', 'max-age=900')
      ctx.body = name
    }
    const app = new Koa()
    const router = new Router()
    router.get('/short', cachePage(30, { registry }), view('short'))
    router.get(
      '/vary',
      cachePage(60, { registry }),
      varyOnHeaders('Accept-Language'),
      varyOnCookie,
      view('vary'),
    )
    router.get('/never', cachePage(60, { registry }), neverCache, view('never'))
    router.get('/cc', cachePage(null, { registry }), cacheControl({ public: true }), view('cc'))
    router.get('/boom', cachePage(60, { registry }), () => {
      runs.boom = (runs.boom ?? 0) + 1
      throw new Error('boom')
    })
    app.silent = true
    app.use(router.routes())
    const s = await listenNode(app.callback())
    servers.push(s)
    const base = s.baseUrl
    expect((await fetch(`${base}/short`)).headers.get('cache-control')).toBe('max-age=30')
    expect(await (await fetch(`${base}/short`)).text()).toBe('short')
    expect((await fetch(`${base}/vary`)).headers.get('vary')).toBe('Cookie, Accept-Language')
    await fetch(`${base}/vary`, { headers: { cookie: 'a=1' } })
    await fetch(`${base}/vary`, { headers: { cookie: 'a=1' } })
    for (let i = 0; i < 2; i++) {
      const never = await fetch(`${base}/never`)
      expect(never.headers.get('cache-control')).toBe(
        'max-age=0, no-cache, no-store, must-revalidate, private',
      )
    }
    const cc = await fetch(`${base}/cc`)
    expect(cc.headers.get('cache-control')).toBe('max-age=900, public')
    expect((await fetch(`${base}/cc`)).headers.get('age')).toMatch(/^\d+$/)
    for (let i = 0; i < 2; i++) expect((await fetch(`${base}/boom`)).status).toBe(500)
    expect(runs).toEqual({ short: 1, vary: 2, never: 2, cc: 1, boom: 2 })
  })
})
