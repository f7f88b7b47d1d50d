/**
 * The Hono adapter (`@cachework/core/hono`): the conformance suite on `@hono/node-server` for
 * the middleware and for `cacheApp`, and
 * the same middleware in a bare Fetch runtime (`app.request`, no server) over locmem, memcached,
 * redis, file and db stores.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CacheRegistry, createCaches } from '@cachework/core'
import { getCacheKey, preparePage, type StoredResponse } from '@cachework/core/http'
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
import { judgingClock } from './http-support.ts'
import { startHono, startHonoApp } from './support/hono-harness.ts'
import { MemcachedProcess } from './support/memcached-server.ts'
import { RedisProcess } from './support/redis-server.ts'

// A field named `__proto__`: the node-server writes a `Response`'s Fetch `Headers` through a
// `{}` (its buildOutgoingHttpHeaders), so a miss loses it, and Hono answers HEAD through
// `new Response(null, getResponse)`, which re-reads the hit's header object through a Fetch
// `Headers` (that drops the key); a hit the cache writes itself keeps it.
adapterConformanceSuite('Hono on @hono/node-server', startHono, [null, 'kept', null])
adapterConformanceSuite('Hono app wrapped by cacheApp on @hono/node-server', startHonoApp, [
  null,
  'kept',
  'kept',
])

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

  it('cacheApp takes a hit’s Age from the clock reading that judged it fresh', async () => {
    const clock = judgingClock()
    let runs = 0
    const inner = new Hono()
    inner.get('/aged', (c) => c.text(`aged #${++runs}`))
    const app = cacheApp(inner, { alias: 'default', registry, seconds: 5, now: clock.now })
    const url = `http://example.test/aged?pid=${process.pid}`
    expect(await (await app.fetch(new Request(url))).text()).toBe('aged #1')
    clock.late()
    const hit = await app.fetch(new Request(url))
    expect(await hit.text()).toBe('aged #1')
    expect(hit.headers.get('age')).toBe('4')
    expect(runs).toBe(1)
  })

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

  it.each([
    ['cacheApp', 'default'],
    ['cacheMiddleware', 'default'],
    ['cacheApp', 'redis'],
    ['cacheMiddleware', 'redis'],
  ])(
    '%s in a bare Fetch runtime (%s store): a header named __proto__ round-trips and pollutes nothing',
    async (how, alias) => {
      let runs = 0
      const app = new Hono()
      if (how === 'cacheMiddleware') app.use('*', cacheMiddleware({ alias, registry, seconds: 60 }))
      app.get('/proto/:id', (c) => {
        runs += 1
        c.header('__proto__', 'kept')
        return c.text('proto page')
      })
      const cached = how === 'cacheApp' ? cacheApp(app, { alias, registry, seconds: 60 }) : app
      const url = `http://example.test/proto/${how}-${alias}-${process.pid}`
      const seen: string[] = []
      for (const method of ['GET', 'GET', 'HEAD']) {
        const r = await cached.fetch(new Request(url, { method }))
        seen.push(
          `${method} ${r.headers.get('__proto__')} ${r.headers.get('age') !== null} ${await r.text()}`,
        )
      }
      expect(seen).toEqual(['GET kept false proto page', 'GET kept true proto page', 'HEAD kept true '])
      expect(runs).toBe(1)
      // The stored page keeps the field as data; the record a hit is written from has no
      // prototype for the key to land in, and holds it as an own value.
      const key = await getCacheKey(new Request(url), { cache: alias, registry })
      const stored = await registry.get(alias).get<StoredResponse>(key as string)
      expect(stored?.headers).toContainEqual(['__proto__', 'kept'])
      const record = preparePage(stored as StoredResponse, false).record
      expect(Object.getPrototypeOf(record)).toBeNull()
      expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe('kept')
      expect(Object.getPrototypeOf({})).toBe(Object.prototype)
    },
  )
})

describe('cacheApp on @hono/node-server: the Host its hit path reads from the IncomingMessage', () => {
  /** A GET of `/` on `port` with exactly these header lines, over a raw socket: the status code. */
  function rawGet(port: number, lines: string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET / HTTP/1.1\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`)
      })
      let data = ''
      socket.on('data', (d) => {
        data += d.toString('latin1')
      })
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1])))
      socket.on('error', reject)
    })
  }

  it('two Host fields are what Fetch makes of them (joined, so a 400), even with the page stored', async () => {
    const registry = createCaches({ default: { backend: 'locmem' } })
    let runs = 0
    const app = new Hono().get('/', (c) => {
      runs++
      return c.text('home')
    })
    const { serve } = await import('@hono/node-server')
    const fetch = cacheApp(app, { registry, seconds: 600 }).fetch
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    try {
      const port = (server.address() as { port: number }).port
      const host = `Host: 127.0.0.1:${port}`
      expect(await rawGet(port, [host])).toBe(200)
      expect(await rawGet(port, [`hOsT: 127.0.0.1:${port}`])).toBe(200)
      expect(runs).toBe(1)
      // Fetch's `headers.get('host')` is `127.0.0.1:<port>, 127.0.0.1:<port>`: not a host (rule 20a).
      expect(await rawGet(port, [host, host])).toBe(400)
      expect(await rawGet(port, [host, 'HOST: evil.example'])).toBe(400)
      expect(runs).toBe(1)
    } finally {
      ;(server as import('node:http').Server).closeAllConnections?.()
      await new Promise((done) => server.close(done))
      await registry.closeAll()
    }
  })

  it('a request an app rebuilt (app.mount) is keyed by the URL it carries, not the socket’s target', async () => {
    // The node-server's hit path makes a view of the socket's target and Host only when
    // `request.url` is exactly those joined; a mounted app gets a new Request with its own URL.
    // Were the mounted request's page indexed by the socket's target, a later request for that
    // target itself would be served the mounted page.
    const registry = createCaches({ default: { backend: 'locmem' } })
    let runs = 0
    const inner = new Hono().get('*', (c) => c.text(`inner ${new URL(c.req.url).pathname} #${++runs}`))
    const direct = cacheApp(inner, { registry, seconds: 600 })
    const main = new Hono()
    main.mount('/sub', cacheApp(inner, { registry, seconds: 600 }).fetch)
    const fetchApp = (request: Request, env: unknown): Response | Promise<Response> =>
      request.headers.get('x-direct') === '1' ? direct.fetch(request, env) : main.fetch(request, env)
    const { serve } = await import('@hono/node-server')
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: fetchApp, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/sub/page`
      const get = async (directly: boolean): Promise<[string, string | null]> => {
        const r = await fetch(url, { headers: directly ? { 'x-direct': '1' } : {} })
        return [await r.text(), r.headers.get('age')]
      }
      expect(await get(true)).toEqual(['inner /sub/page #1', null])
      for (const n of [0, 1]) {
        const [body, age] = await get(false)
        expect(body).toBe('inner /page #2')
        if (n === 0) expect(age).toBeNull()
        else expect(age).toMatch(/^\d+$/)
      }
      const [body, age] = await get(true)
      expect(body).toBe('inner /sub/page #1')
      expect(age).toMatch(/^\d+$/)
      expect(runs).toBe(2)
    } finally {
      ;(server as import('node:http').Server).closeAllConnections?.()
      await new Promise((done) => server.close(done))
      await registry.closeAll()
    }
  })
})
