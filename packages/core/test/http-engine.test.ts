/**
 * The response-cache engine through the core wrappers, with real `Request`/`Response` objects
 * and a fresh locmem store per test (django/middleware/cache.py, docs/contract.md §3): storing and serving,
 * Django 6.1's rules, conditional GET. Concurrency, bodies and failures: http-flow.test.ts.
 */
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { createCaches } from '../src/index.ts'
import { cacheControl, cacheMiddleware, cachePage, getCacheKey, isStoredResponse } from '../src/http/index.ts'
import { counting, freshCache, get } from './support/http-setup.ts'

describe('cachePage: store and serve', () => {
  it('a miss runs the handler and stores; a hit serves the stored page with Age', async () => {
    const cache = freshCache()
    let now = Date.UTC(2026, 0, 1, 12, 0, 0)
    const { state, handler } = counting({ headers: { 'Content-Type': 'text/plain', ETag: '"e1"' } })
    const view = cachePage(60, { cache, now: () => now })(handler)
    const first = await view(get('http://example.com/a'))
    expect(await first.text()).toBe('body #1')
    expect(first.headers.get('cache-control')).toBe('max-age=60')
    expect(first.headers.get('expires')).toBe('Thu, 01 Jan 2026 12:01:00 GMT')
    expect(first.headers.get('age')).toBeNull()
    now += 7_000
    const second = await view(get('http://example.com/a'))
    expect(await second.text()).toBe('body #1')
    expect(second.headers.get('age')).toBe('7')
    expect(second.headers.get('content-type')).toBe('text/plain')
    expect(state.runs).toBe(1)
    // What is stored is a plain object any backend can hold.
    const key = await getCacheKey(get('http://example.com/a'), { cache })
    const stored = await cache.get(key as string)
    expect(isStoredResponse(stored)).toBe(true)
    expect(stored).toMatchObject({ status: 200, statusText: '', storedAt: now - 7_000 })
  })

  it('cache_page timeout beats max-age (3.1+); the smaller max-age is written', async () => {
    const cache = freshCache()
    const { state, handler } = counting()
    const view = cachePage(3, { cache })(cacheControl({ maxAge: 100 })(handler))
    const r = await view(get('http://example.com/t'))
    expect(r.headers.get('cache-control')).toBe('max-age=3')
    await view(get('http://example.com/t'))
    expect(state.runs).toBe(1)
  })

  it('the middleware uses max-age when present, and max-age=0 is never stored', async () => {
    const cache = freshCache()
    const now = Date.UTC(2026, 0, 1)
    const mw = cacheMiddleware({ alias: cache, seconds: 600, now: () => now })
    const r = await mw(
      get('http://example.com/m'),
      async () => new Response('x', { headers: { 'Cache-Control': 'max-age=100' } }),
    )
    expect(r.headers.get('expires')).toBe(new Date(now + 100_000).toUTCString())
    const zero = counting({ headers: { 'Cache-Control': 'max-age=0' } })
    await mw(get('http://example.com/z'), zero.handler)
    const z = await mw(get('http://example.com/z'), zero.handler)
    expect(zero.state.runs).toBe(2)
    expect(z.headers.get('expires')).toBeNull()
  })

  it('HEAD is served from a cached GET; a GET is not served from a cached HEAD', async () => {
    const cache = freshCache()
    const { state, handler } = counting()
    const view = cachePage(60, { cache })(handler)
    await view(get('http://example.com/h'))
    const head = await view(get('http://example.com/h', {}, 'HEAD'))
    expect(head.status).toBe(200)
    expect(head.body).toBeNull()
    expect(state.runs).toBe(1)
    await view(get('http://example.com/h2', {}, 'HEAD'))
    expect(state.runs).toBe(2)
    expect(await (await view(get('http://example.com/h2'))).text()).toBe('body #3')
  })

  it('keeps two hosts apart, and the full query string in the key', async () => {
    const cache = freshCache()
    const { state, handler } = counting({}, (r) => `page for ${r.url}`)
    const view = cachePage(60, { cache })(handler)
    for (const url of [
      'http://a.example/p?x=1',
      'http://b.example/p?x=1',
      'https://a.example/p?x=1',
      'http://a.example/p?x=2',
    ]) {
      expect(await (await view(get(url))).text()).toBe(`page for ${url}`)
    }
    expect(await (await view(get('http://a.example/p?x=1'))).text()).toBe('page for http://a.example/p?x=1')
    expect(state.runs).toBe(4)
  })

  it('learns Vary per URL: two Accept-Language values are kept apart', async () => {
    const cache = freshCache()
    const { state, handler } = counting({ headers: { Vary: 'Accept-Language' } }, (r) =>
      r.headers.get('accept-language') === 'fr' ? 'bonjour' : 'hello',
    )
    const view = cachePage(60, { cache })(handler)
    const fr = { 'Accept-Language': 'fr' }
    const en = { 'Accept-Language': 'en' }
    expect(await (await view(get('http://example.com/l', fr))).text()).toBe('bonjour')
    expect(await (await view(get('http://example.com/l', en))).text()).toBe('hello')
    expect(await (await view(get('http://example.com/l', fr))).text()).toBe('bonjour')
    expect(await (await view(get('http://example.com/l', en))).text()).toBe('hello')
    expect(state.runs).toBe(2)
  })

  it('i18n and timeZone options add the language and zone to keys instead of Accept-Language', async () => {
    const cache = freshCache()
    const { state, handler } = counting(
      { headers: { Vary: 'Accept-Language' } },
      (r) => `lang ${r.headers.get('x-lang')}`,
    )
    const view = cachePage(60, {
      cache,
      i18n: (r) => r.headers.get('x-lang') ?? 'en',
      timeZone: () => 'Europe/Paris',
    })(handler)
    await view(get('http://example.com/i', { 'X-Lang': 'fr', 'Accept-Language': 'fr-FR' }))
    // Another Accept-Language, same language: the same page.
    const same = await view(get('http://example.com/i', { 'X-Lang': 'fr', 'Accept-Language': 'fr' }))
    expect(await same.text()).toBe('lang fr')
    expect(await (await view(get('http://example.com/i', { 'X-Lang': 'de' }))).text()).toBe('lang de')
    expect(state.runs).toBe(2)
  })

  it('uses an alias of a registry', async () => {
    const registry = createCaches({
      default: { backend: 'locmem', location: uniqueKey('d') },
      pages: { backend: 'locmem', location: uniqueKey('p') },
    })
    const { handler } = counting()
    await cachePage(60, { cache: 'pages', registry, keyPrefix: 'kp' })(handler)(get('http://example.com/r'))
    const key = await getCacheKey(get('http://example.com/r'), { cache: 'pages', registry, keyPrefix: 'kp' })
    expect(key).toContain('cache_page.kp.GET.')
    expect(isStoredResponse(await registry.get('pages').get(key as string))).toBe(true)
    expect(await getCacheKey(get('http://example.com/r'), { registry, keyPrefix: 'kp' })).toBeUndefined()
  })
})

describe('what is never stored (Django 6.1 security rules)', () => {
  const neverStored = async (init: ResponseInit, req: () => Request = () => get('http://example.com/n')) => {
    const cache = freshCache()
    const { state, handler } = counting(init)
    const view = cachePage(60, { cache })(handler)
    await view(req())
    const second = await view(req())
    expect(state.runs, JSON.stringify(init)).toBe(2)
    return second
  }

  it('non-GET/HEAD requests and statuses other than 200', async () => {
    await neverStored({}, () => get('http://example.com/n', {}, 'POST'))
    await neverStored({ status: 404 })
    await neverStored({ status: 203 })
  })

  it('Cache-Control private, no-cache or no-store, in any case and qualified', async () => {
    for (const cc of [
      'private',
      'Private',
      'no-cache',
      'NO-STORE',
      'no-cache="Set-Cookie"',
      'private="X-A", max-age=60',
      'public, No-Cache',
    ]) {
      const r = await neverStored({ headers: { 'Cache-Control': cc } })
      expect(r.headers.get('expires')).toBeNull()
    }
  })

  it('Vary: *', async () => {
    await neverStored({ headers: { Vary: 'Accept, *' } })
  })

  it('a cookie set while varying on Cookie, whatever cookies the request carried', async () => {
    const setCookie = { headers: { 'Set-Cookie': 'sid=1', Vary: 'Cookie' } }
    await neverStored(setCookie)
    await neverStored(setCookie, () => get('http://example.com/n', { Cookie: 'a=b' }))
  })

  it('a Set-Cookie without Vary: Cookie is not stored (Django stores it; docs/contract.md rule 20)', async () => {
    const cache = freshCache()
    const { state, handler } = counting({ headers: { 'Set-Cookie': 'theme=dark' } })
    const view = cachePage(60, { cache })(handler)
    await view(get('http://example.com/c'))
    const again = await view(get('http://example.com/c'))
    expect(again.headers.get('set-cookie')).toBe('theme=dark')
    expect(state.runs).toBe(2)
  })

  it('a request with Authorization is varied on it unless the response is public', async () => {
    const cache = freshCache()
    const { state, handler } = counting({}, (r) => `for ${r.headers.get('authorization')}`)
    const view = cachePage(60, { cache })(handler)
    const alice = { Authorization: 'Basic YWxpY2U6eA==' }
    const bob = { Authorization: 'Basic Ym9iOng=' }
    const a = await view(get('http://example.com/me', alice))
    expect(a.headers.get('vary')).toBe('Authorization')
    expect(await (await view(get('http://example.com/me', bob))).text()).toBe(`for ${bob.Authorization}`)
    expect(await (await view(get('http://example.com/me', alice))).text()).toBe(`for ${alice.Authorization}`)
    expect(state.runs).toBe(2)

    const pub = counting(
      { headers: { 'Cache-Control': 'public' } },
      (r) => `for ${r.headers.get('authorization')}`,
    )
    const pubView = cachePage(60, { cache })(pub.handler)
    const p = await pubView(get('http://example.com/pub', alice))
    expect(p.headers.get('vary')).toBeNull()
    expect(await (await pubView(get('http://example.com/pub', bob))).text()).toBe(
      `for ${alice.Authorization}`,
    )
    expect(pub.state.runs).toBe(1)
  })
})

describe('conditional GET', () => {
  const lm = 'Mon, 01 Jan 2007 01:54:21 GMT'
  it('a fresh response is stored in full and answers If-None-Match with 304; so does a hit', async () => {
    const cache = freshCache()
    const { state, handler } = counting({ headers: { ETag: '"abc"', 'Last-Modified': lm } })
    const view = cachePage(60, { cache })(handler)
    const fresh = await view(get('http://example.com/e', { 'If-None-Match': '"abc"' }))
    expect(fresh.status).toBe(304)
    expect(fresh.headers.get('etag')).toBe('"abc"')
    expect(fresh.headers.get('cache-control')).toBe('max-age=60')
    const full = await view(get('http://example.com/e'))
    expect(full.status).toBe(200)
    expect(await full.text()).toBe('body #1')
    const hit = await view(get('http://example.com/e', { 'If-None-Match': 'W/"abc", "zzz"' }))
    expect(hit.status).toBe(304)
    expect(hit.headers.get('age')).not.toBeNull()
    const ims = await view(get('http://example.com/e', { 'If-Modified-Since': lm }))
    expect(ims.status).toBe(304)
    const changed = await view(
      get('http://example.com/e', { 'If-None-Match': '"other"', 'If-Modified-Since': lm }),
    )
    expect(changed.status).toBe(200)
    expect(state.runs).toBe(1)
  })
})

describe('more of Django’s rules', () => {
  it('cachePage(null) falls back to max-age, then to the cache timeout', async () => {
    const cache = freshCache()
    const now = Date.UTC(2026, 0, 1)
    const viaMaxAge = cachePage(null, { cache, now: () => now })(
      () => new Response('x', { headers: { 'Cache-Control': 'max-age=42' } }),
    )
    expect((await viaMaxAge(get('http://example.com/n1'))).headers.get('expires')).toBe(
      new Date(now + 42_000).toUTCString(),
    )
    const viaDefault = cachePage(null, { cache, now: () => now, cacheTimeout: 9 })(() => new Response('x'))
    expect((await viaDefault(get('http://example.com/n2'))).headers.get('cache-control')).toBe('max-age=9')
  })

  it('a 304 from the handler gets the caching headers but is not stored', async () => {
    const cache = freshCache()
    const state = { runs: 0 }
    const view = cachePage(60, { cache })(async () => {
      state.runs++
      return new Response(null, { status: 304 })
    })
    const r = await view(get('http://example.com/304'))
    expect(r.headers.get('cache-control')).toBe('max-age=60')
    await view(get('http://example.com/304'))
    expect(state.runs).toBe(2)
  })

  it('a declared Content-Length over the limit passes through untouched', async () => {
    const cache = freshCache()
    const original = new Response('0123456789', { headers: { 'Content-Length': '10' } })
    const view = cachePage(60, { cache, maxBodyBytes: 5 })(() => original)
    const r = await view(get('http://example.com/cl'))
    expect(r).toBe(original)
    expect(await r.text()).toBe('0123456789')
  })

  it('if the first handler of a flight throws, its waiters run their own', async () => {
    const cache = freshCache()
    let runs = 0
    const view = cachePage(60, { cache })(async () => {
      const n = ++runs
      await new Promise((r) => setTimeout(r, 20))
      if (n === 1) throw new Error('boom')
      return new Response(`ok ${n}`)
    })
    const results = await Promise.allSettled([1, 2, 3].map(() => view(get('http://example.com/boom'))))
    expect(results[0]?.status).toBe('rejected')
    expect(results.slice(1).every((r) => r.status === 'fulfilled')).toBe(true)
    expect(runs).toBeGreaterThanOrEqual(2)
  })

  it('the site middleware stores under its keyPrefix in its alias', async () => {
    const registry = createCaches({ default: { backend: 'locmem', location: uniqueKey('mw') } })
    const mw = cacheMiddleware({ registry, keyPrefix: 'site1', seconds: 30 })
    let runs = 0
    const next = () => new Response(`run ${++runs}`)
    await mw(get('http://example.com/kp'), next)
    expect(await (await mw(get('http://example.com/kp'), next)).text()).toBe('run 1')
    expect(await getCacheKey(get('http://example.com/kp'), { registry, keyPrefix: 'site1' })).toContain(
      'cache_page.site1.GET.',
    )
  })
})
