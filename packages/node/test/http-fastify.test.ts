/**
 * The Fastify 5 adapter: the conformance suite, per-route `config.cache`, the global default,
 * the header hooks, and Fastify's own error handling, through real sockets.
 */
import { createCaches } from '@cachework/core'
import { cacheHeaderKey, pageCacheKey } from '@cachework/core/http'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheControl, fastifyCache, neverCache, varyOnCookie, varyOnHeaders } from '../src/fastify.ts'
import { adapterConformanceSuite } from './support/adapter-conformance.ts'
import { startFastify } from './support/fastify-harness.ts'

// Fastify keeps a reply's headers in a `{}` (fastify/lib/reply.js), so a field named
// `__proto__` never reaches the response, nor the cache.
adapterConformanceSuite('Fastify 5', startFastify, [null, null, null])

describe('Fastify plugin options and route hooks', () => {
  const apps: FastifyInstance[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()))
  })
  async function listen(app: FastifyInstance): Promise<string> {
    apps.push(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  }

  it('caches only routes with config.cache by default; seconds, cache and keyPrefix per route', async () => {
    const registry = createCaches({
      default: { backend: 'locmem' },
      pages: { backend: 'locmem', location: 'fastify-pages' },
    })
    const runs: Record<string, number> = {}
    const count = (name: string) => {
      runs[name] = (runs[name] ?? 0) + 1
      return `${name} ${runs[name]}`
    }
    const app = Fastify()
    await app.register(fastifyCache, { registry, seconds: 60 })
    app.get('/plain', async () => count('plain'))
    app.get('/short', { config: { cache: 30 } }, async (_req, reply) => {
      reply.header('cache-control', 'max-age=900')
      return count('short')
    })
    app.get('/pages', { config: { cache: { seconds: 120, cache: 'pages', keyPrefix: 'site1' } } }, async () =>
      count('pages'),
    )
    app.get('/site', { config: { cache: true } }, async () => count('site'))
    const base = await listen(app)
    for (let i = 0; i < 2; i++) {
      expect(await (await fetch(`${base}/plain`)).text()).toBe(`plain ${i + 1}`)
    }
    const short = await fetch(`${base}/short`)
    // cache_page's timeout beats max-age (Django 3.1+).
    expect(short.headers.get('cache-control')).toBe('max-age=30')
    expect(await (await fetch(`${base}/short`)).text()).toBe('short 1')
    await fetch(`${base}/pages`)
    expect((await fetch(`${base}/pages`)).headers.get('age')).toMatch(/^\d+$/)
    expect((await fetch(`${base}/site`)).headers.get('cache-control')).toBe('max-age=60')
    expect(await (await fetch(`${base}/site`)).text()).toBe('site 1')
    expect(runs).toEqual({ plain: 2, short: 1, pages: 1, site: 1 })
    // The page went to the 'pages' alias under Django's key with the route's prefix.
    const request = new Request(`${base}/pages`)
    expect(await registry.get('pages').get(cacheHeaderKey(request, { keyPrefix: 'site1' }))).toEqual([])
    expect(await registry.get('pages').has(pageCacheKey(request, 'GET', [], { keyPrefix: 'site1' }))).toBe(
      true,
    )
    expect(await registry.get('default').has(pageCacheKey(request, 'GET', [], { keyPrefix: 'site1' }))).toBe(
      false,
    )
  })

  it('global: true caches every GET route except config.cache: false, in child contexts too', async () => {
    const registry = createCaches({ default: { backend: 'locmem' } })
    let cached = 0
    let never = 0
    const app = Fastify()
    await app.register(fastifyCache, { registry, global: true })
    await app.register(
      async (child) => {
        child.get('/cached', async () => `cached ${++cached}`)
        child.get('/never', { config: { cache: false } }, async () => `never ${++never}`)
      },
      { prefix: '/child' },
    )
    const base = await listen(app)
    for (let i = 0; i < 3; i++) {
      await fetch(`${base}/child/cached`)
      await fetch(`${base}/child/never`)
    }
    expect([cached, never]).toEqual([1, 3])
  })

  it('applies cacheControl, neverCache, varyOnHeaders and varyOnCookie as onSend hooks before the cache', async () => {
    const registry = createCaches({ default: { backend: 'locmem' } })
    const runs: Record<string, number> = {}
    const app = Fastify()
    await app.register(fastifyCache, { registry, global: true })
    const view = (name: string) => async () => {
      runs[name] = (runs[name] ?? 0) + 1
      return name
    }
    app.get('/cc', { onSend: cacheControl({ maxAge: 60, public: true }) }, view('cc'))
    app.get('/never', { onSend: neverCache }, view('never'))
    app.get('/vary', { onSend: [varyOnHeaders('Accept-Language'), varyOnCookie] }, view('vary'))
    const base = await listen(app)
    const cc = await fetch(`${base}/cc`)
    expect(cc.headers.get('cache-control')).toBe('max-age=60, public')
    const never = await fetch(`${base}/never`)
    expect(never.headers.get('cache-control')).toBe('max-age=0, no-cache, no-store, must-revalidate, private')
    expect((await fetch(`${base}/vary`)).headers.get('vary')).toBe('Accept-Language, Cookie')
    await fetch(`${base}/cc`)
    await fetch(`${base}/never`)
    await fetch(`${base}/vary`)
    // The learned Vary keeps one page per cookie.
    await fetch(`${base}/vary`, { headers: { cookie: 'a=1' } })
    await fetch(`${base}/vary`, { headers: { cookie: 'a=1' } })
    expect(runs).toEqual({ cc: 1, never: 2, vary: 2 })
  })

  it("routes a view's error through Fastify's error handler and never stores it", async () => {
    const registry = createCaches({ default: { backend: 'locmem' } })
    let runs = 0
    const app = Fastify()
    await app.register(fastifyCache, { registry, global: true })
    app.setErrorHandler((err, _req, reply) => {
      void reply.code(500).send(`handled ${(err as Error).message}`)
    })
    app.get('/boom', async () => {
      runs += 1
      throw new Error('boom')
    })
    const base = await listen(app)
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${base}/boom`)
      expect(r.status).toBe(500)
      expect(await r.text()).toBe('handled boom')
    }
    expect(runs).toBe(2)
  })
})
