/**
 * The Hono adapter (`@cachework/core/hono`): the conformance suite on `@hono/node-server` for
 * the middleware and for `cacheApp`, and
 * the same middleware in a bare Fetch runtime (`app.request`, no server) over locmem, memcached,
 * redis, file and db stores.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CacheRegistry, createCaches } from '@cachework/core'
import { getCacheKey } from '@cachework/core/http'
import {
  cacheApp,
  cacheControl,
  cacheMiddleware,
  cachePage,
  neverCache,
  varyOnCookie,
} from '@cachework/core/hono'
import { type Context, Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterConformanceSuite } from './support/adapter-conformance.ts'
import { startHono, startHonoApp } from './support/hono-harness.ts'
import { MemcachedProcess } from './support/memcached-server.ts'
import { RedisProcess } from './support/redis-server.ts'

adapterConformanceSuite('Hono on @hono/node-server', startHono)
adapterConformanceSuite('Hono app wrapped by cacheApp on @hono/node-server', startHonoApp)

describe('Hono in a bare Fetch runtime (app.request, no server)', () => {
  let memcached: MemcachedProcess
  let redis: RedisProcess
  let dir: string
  let registry: CacheRegistry
  beforeAll(async () => {
    memcached = await MemcachedProcess.start()
    redis = await RedisProcess.start()
    dir = mkdtempSync(join(tmpdir(), 'cachework-hono-'))
    registry = createCaches({
      default: { backend: 'locmem', location: 'hono-default' },
      memcached: { backend: 'memcached', location: memcached.location },
      redis: { backend: 'redis', location: redis.url },
      file: { backend: 'file', location: join(dir, 'pages') },
      db: { backend: 'db', location: 'pages', options: { database: join(dir, 'cache.sqlite3') } },
    })
  })
  afterAll(async () => {
    await registry.closeAll()
    await memcached.stop()
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each(['default', 'memcached', 'redis', 'file', 'db'])(
    'stores and serves pages through the %s store',
    async (alias) => {
      let runs = 0
      const app = new Hono()
      app.use('*', cacheMiddleware({ alias, registry, seconds: 60 }))
      app.get('/page/:id', (c) => c.text(`page ${c.req.param('id')} #${++runs}`))
      const url = `http://example.test/page/${alias}-${process.pid}`
      const first = await app.request(url)
      expect(first.headers.get('age')).toBeNull()
      expect(first.headers.get('cache-control')).toBe('max-age=60')
      const second = await app.request(url)
      expect(await second.text()).toBe(`page ${alias}-${process.pid} #1`)
      expect(second.headers.get('age')).toMatch(/^\d+$/)
      expect(second.headers.get('content-type')).toBe('text/plain; charset=UTF-8')
      expect(runs).toBe(1)
      // The key is Django's, so core's getCacheKey finds the page.
      expect(await getCacheKey(new Request(url), { cache: alias, registry })).toMatch(
        /^views\.decorators\.cache\.cache_page\.\.GET\.[0-9a-f]{32}\.d41d8cd98f00b204e9800998ecf8427e$/,
      )
    },
  )

  it('cachePage per route beats max-age; the header middleware after it patches before storing', async () => {
    const runs: Record<string, number> = {}
    const view = (name: string) => (c: Context) => {
      runs[name] = (runs[name] ?? 0) + 1
      c.header('cache-control', 'max-age=900')
      return c.text(name)
    }
    const app = new Hono()
    app.get('/short', cachePage(30, { registry }), view('short'))
    app.get('/vary', cachePage(60, { registry }), varyOnCookie, view('vary'))
    app.get('/never', cachePage(60, { registry }), neverCache, view('never'))
    app.get('/cc', cacheControl({ public: true }), view('cc'))
    const short = await app.request('http://example.test/short')
    expect(short.headers.get('cache-control')).toBe('max-age=30')
    await app.request('http://example.test/short')
    expect((await app.request('http://example.test/vary')).headers.get('vary')).toBe('Cookie')
    await app.request('http://example.test/vary', { headers: { cookie: 'a=1' } })
    await app.request('http://example.test/vary', { headers: { cookie: 'a=1' } })
    for (let i = 0; i < 2; i++) {
      const never = await app.request('http://example.test/never')
      expect(never.headers.get('cache-control')).toBe(
        'max-age=0, no-cache, no-store, must-revalidate, private',
      )
    }
    expect((await app.request('http://example.test/cc')).headers.get('cache-control')).toBe(
      'max-age=900, public',
    )
    expect(runs).toEqual({ short: 1, vary: 2, never: 2, cc: 1 })
  })

  it('cacheApp in a bare Fetch runtime: a page with a header named __proto__ is served and pollutes nothing', async () => {
    let runs = 0
    const app = new Hono()
    app.get('/proto/:id', (c) => {
      runs += 1
      c.header('__proto__', 'polluted')
      return c.text('proto page')
    })
    const cached = cacheApp(app, { registry, seconds: 60 })
    const url = `http://example.test/proto/${process.pid}`
    await cached.fetch(new Request(url))
    const hit = await cached.fetch(new Request(url))
    expect(hit.headers.get('age')).toMatch(/^\d+$/)
    // (Node's Fetch `Headers` drops a `__proto__` field from a header record; the node-server
    // writes the plain object itself and keeps it.)
    expect(await hit.text()).toBe('proto page')
    expect(runs).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  })
})
