/**
 * The fetch-style decorators (Django's cache_control, never_cache, vary_on_headers,
 * vary_on_cookie) and the engine driven as two halves, as Django's two middlewares.
 */
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import {
  cacheControl,
  cacheMiddleware,
  cachePage,
  fetchFromCacheMiddleware,
  neverCache,
  updateCacheMiddleware,
  varyOnCookie,
  varyOnHeaders,
} from '../src/http/index.ts'

const freshCache = () => new LocMemCache({ location: uniqueKey('http-wrappers') })
const req = (url = 'http://example.com/w', headers: Record<string, string> = {}) =>
  new Request(url, { headers })

describe('decorators', () => {
  it('cacheControl patches after the handler, passing extra arguments through', async () => {
    const view = cacheControl({ maxAge: 60, public: true, noCache: ['Set-Cookie'] })(
      async (_r: Request, params: { id: string }) =>
        new Response(params.id, { headers: { 'Cache-Control': 'private, max-age=600' } }),
    )
    const r = await view(req(), { id: '7' })
    expect(await r.text()).toBe('7')
    expect(r.headers.get('cache-control')).toBe('max-age=60, public, no-cache=Set-Cookie')
  })

  it('neverCache writes Django 3.0+ headers', async () => {
    const r = await neverCache(
      () => new Response('x', { headers: { 'Cache-Control': 'public, max-age=600' } }),
    )(req())
    expect(r.headers.get('cache-control')).toBe('max-age=0, no-cache, no-store, must-revalidate, private')
    expect(r.headers.get('expires')).not.toBeNull()
  })

  it('varyOnHeaders and varyOnCookie', async () => {
    const base = () => new Response('x', { headers: { Vary: 'Accept-Encoding' } })
    expect((await varyOnHeaders('Accept-Language', 'accept-encoding')(base)(req())).headers.get('vary')).toBe(
      'Accept-Encoding, Accept-Language',
    )
    expect((await varyOnCookie(base)(req())).headers.get('vary')).toBe('Accept-Encoding, Cookie')
  })

  it('work on responses whose headers are immutable (e.g. from fetch or Response.redirect)', async () => {
    const r = await cacheControl({ maxAge: 5 })(() => Response.redirect('http://example.com/elsewhere', 302))(
      req(),
    )
    expect(r.status).toBe(302)
    expect(r.headers.get('location')).toBe('http://example.com/elsewhere')
    expect(r.headers.get('cache-control')).toBe('max-age=5')
  })

  it("throw Django's TypeError when the first argument is not a Request", async () => {
    const view = neverCache(() => new Response('x')) as unknown as (x: unknown) => Promise<Response>
    await expect(view({ path: '/' })).rejects.toThrow(/neverCache didn't receive a Request/)
  })

  it('a never_cache view under the site middleware is not stored', async () => {
    const cache = freshCache()
    let runs = 0
    const mw = cacheMiddleware({ alias: cache })
    const view = neverCache(() => new Response(`run ${++runs}`))
    await mw(req('http://example.com/nc'), view)
    expect(await (await mw(req('http://example.com/nc'), view)).text()).toBe('run 2')
  })
})

describe('two halves (Django UpdateCacheMiddleware / FetchFromCacheMiddleware)', () => {
  it('fetch misses, update stores, fetch hits; update leaves a hit alone', async () => {
    const cache = freshCache()
    const fetchHalf = fetchFromCacheMiddleware({ alias: cache, seconds: 30 })
    const updateHalf = updateCacheMiddleware({ alias: cache, seconds: 30 })

    const first = req('http://example.com/halves')
    expect(await fetchHalf(first)).toBeUndefined()
    const sent = await updateHalf(first, new Response('from the view'))
    expect(sent.headers.get('cache-control')).toBe('max-age=30')
    expect(await sent.text()).toBe('from the view')

    const second = req('http://example.com/halves')
    const hit = await fetchHalf(second)
    expect(hit).toBeDefined()
    const again = await updateHalf(second, hit as Response)
    expect(again).toBe(hit)
    expect(await again.text()).toBe('from the view')
  })

  it('a POST marked by the fetch half is never stored by the update half', async () => {
    const cache = freshCache()
    const fetchHalf = fetchFromCacheMiddleware({ alias: cache })
    const updateHalf = updateCacheMiddleware({ alias: cache })
    const post = new Request('http://example.com/p', { method: 'POST', body: 'x' })
    expect(await fetchHalf(post)).toBeUndefined()
    const r = await updateHalf(post, new Response('ok'))
    expect(r.headers.get('expires')).toBeNull()
    expect(await fetchHalf(req('http://example.com/p'))).toBeUndefined()
  })
})

describe('misuse is reported clearly', () => {
  it('a handler that returns no Response, and non-numeric options, throw TypeErrors', async () => {
    const cache = freshCache()
    const view = cachePage(60, { cache })((() => undefined) as unknown as () => Response)
    await expect(view(req('http://example.com/oops'))).rejects.toThrow(/returned undefined, not a Response/)
    expect(() => cacheMiddleware({ alias: cache, seconds: '600' as unknown as number })).toThrow(
      /'cacheTimeout' must be a number/,
    )
    expect(() => cachePage('60' as unknown as number)).toThrow(/timeout must be a number of seconds or null/)
  })
})
