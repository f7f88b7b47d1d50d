/**
 * The django.utils.cache helpers on Fetch API objects: the cases Django 3.2 cannot check
 * (6.1-only behaviour, our documented differences) and the key helpers with a real cache.
 * http-django.test.ts checks the shared cases against Django itself.
 */
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { createCaches, LocMemCache } from '../src/index.ts'
import {
  cacheHeaderKey,
  conditionalResponse,
  getCacheKey,
  getMaxAge,
  hasVaryHeader,
  httpDate,
  learnCacheKey,
  md5Hex,
  parseEtags,
  parseHttpDate,
  patchCacheControl,
  patchVaryHeaders,
} from '../src/http/index.ts'

const freshCache = () => new LocMemCache({ location: uniqueKey('http-helpers') })

describe('patchCacheControl', () => {
  it('writes one no-cache=<field> per field, in order, and a bare no-cache replaces them', () => {
    const h = new Headers({ 'Cache-Control': 'no-cache=Set-Cookie' })
    patchCacheControl(h, { noCache: ['Link', 'Set-Cookie', 'X-A'] })
    expect(h.get('cache-control')).toBe('no-cache=Set-Cookie, no-cache=Link, no-cache=X-A')
    patchCacheControl(h, { noCache: true })
    expect(h.get('cache-control')).toBe('no-cache')
  })

  it('maps camelCase names, including sMaxage and the stale-* extensions', () => {
    const h = new Headers()
    patchCacheControl(h, {
      public: true,
      maxAge: 60,
      sMaxage: 120,
      noTransform: true,
      mustRevalidate: true,
      proxyRevalidate: true,
      immutable: true,
      staleWhileRevalidate: 30,
      staleIfError: 300,
      noStore: true,
      'x-custom': 'v',
    })
    expect(h.get('cache-control')).toBe(
      'public, max-age=60, s-maxage=120, no-transform, must-revalidate, proxy-revalidate, immutable, stale-while-revalidate=30, stale-if-error=300, no-store, x-custom=v',
    )
  })

  it('public and private replace each other; false removes a directive', () => {
    const r = new Response(null, { headers: { 'Cache-Control': 'private, max-age=5' } })
    patchCacheControl(r, { public: true })
    expect(r.headers.get('cache-control')).toBe('max-age=5, public')
    patchCacheControl(r, { private: true })
    expect(r.headers.get('cache-control')).toBe('max-age=5, private')
    patchCacheControl(r, { private: false })
    expect(r.headers.get('cache-control')).toBe('max-age=5')
  })

  it('keeps the smaller max-age (Django §3.1 step 2) and floors fractions', () => {
    const h = new Headers({ 'Cache-Control': 'max-age=100' })
    patchCacheControl(h, { maxAge: 3600 })
    expect(h.get('cache-control')).toBe('max-age=100')
    patchCacheControl(h, { maxAge: 2.5 })
    expect(h.get('cache-control')).toBe('max-age=2')
  })

  it('getMaxAge: none without header, integers only', () => {
    expect(getMaxAge(new Headers())).toBeUndefined()
    expect(getMaxAge(new Response(null, { headers: { 'Cache-Control': 'public, max-age=42' } }))).toBe(42)
    expect(getMaxAge(new Headers({ 'Cache-Control': 'max-age=1.5' }))).toBeUndefined()
  })
})

describe('patchVaryHeaders (6.1)', () => {
  it('an empty existing Vary gives no leading comma; new names are stripped', () => {
    const h = new Headers({ Vary: '' })
    patchVaryHeaders(h, ['  Cookie '])
    expect(h.get('vary')).toBe('Cookie')
    expect(hasVaryHeader(h, ' COOKIE ')).toBe(true)
    expect(hasVaryHeader(new Headers(), 'Cookie')).toBe(false)
  })
})

describe('HTTP dates and entity tags', () => {
  it('parses the three date formats of RFC 9110 §5.6.7', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37)
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t)
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(t)
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(t)
    expect(parseHttpDate('yesterday')).toBeUndefined()
    expect(httpDate(t + 999)).toBe('Sun, 06 Nov 1994 08:49:37 GMT')
  })

  it('parseEtags keeps well-formed tags only', () => {
    expect(parseEtags(' * ')).toEqual(['*'])
    expect(parseEtags('"a", W/"b", c, "d')).toEqual(['"a"', 'W/"b"'])
  })
})

describe('conditionalResponse (Django get_conditional_response, RFC 9110 §13.2.2)', () => {
  const lm = 'Mon, 01 Jan 2007 01:54:21 GMT'
  const ok = () =>
    new Response('body', { headers: { ETag: '"v1"', 'Last-Modified': lm, 'Cache-Control': 'max-age=60' } })
  const req = (headers: Record<string, string>, method = 'GET') =>
    new Request('http://example.com/', { method, headers })

  it('If-None-Match (weak comparison) gives a 304 carrying the validators', async () => {
    const r = conditionalResponse(req({ 'If-None-Match': 'W/"v1"' }), ok())
    expect(r.status).toBe(304)
    expect(r.headers.get('etag')).toBe('"v1"')
    expect(r.headers.get('cache-control')).toBe('max-age=60')
    expect(await r.text()).toBe('')
    expect(conditionalResponse(req({ 'If-None-Match': '"v2"' }), ok()).status).toBe(200)
    expect(conditionalResponse(req({ 'If-None-Match': '*' }), ok()).status).toBe(304)
  })

  it('If-None-Match takes precedence over If-Modified-Since', () => {
    const r = conditionalResponse(req({ 'If-None-Match': '"other"', 'If-Modified-Since': lm }), ok())
    expect(r.status).toBe(200)
    expect(conditionalResponse(req({ 'If-Modified-Since': lm }), ok()).status).toBe(304)
    expect(
      conditionalResponse(req({ 'If-Modified-Since': 'Mon, 01 Jan 2007 01:54:20 GMT' }), ok()).status,
    ).toBe(200)
  })

  it('a failed If-Match or If-Unmodified-Since is a 412; a matching If-None-Match on POST too', () => {
    expect(conditionalResponse(req({ 'If-Match': '"nope"' }), ok()).status).toBe(412)
    expect(conditionalResponse(req({ 'If-Match': '"v1"' }), ok()).status).toBe(200)
    expect(
      conditionalResponse(req({ 'If-Unmodified-Since': 'Mon, 01 Jan 2007 01:00:00 GMT' }), ok()).status,
    ).toBe(412)
    expect(conditionalResponse(req({ 'If-None-Match': '"v1"' }, 'POST'), ok()).status).toBe(412)
  })

  it('non-2xx responses and responses without validators pass unchanged', () => {
    const notFound = new Response('x', { status: 404, headers: { ETag: '"v1"' } })
    expect(conditionalResponse(req({ 'If-None-Match': '"v1"' }), notFound)).toBe(notFound)
    const plain = new Response('x')
    expect(conditionalResponse(req({ 'If-None-Match': '*' }), plain)).toBe(plain)
  })
})

describe('getCacheKey / learnCacheKey', () => {
  it('nothing learned → undefined; learning stores the META header list for the URL', async () => {
    const cache = freshCache()
    const req = new Request('http://example.com/page?b=2&a=1', { headers: { Cookie: 'x=1' } })
    expect(await getCacheKey(req, { cache })).toBeUndefined()
    const res = new Response('x', { headers: { Vary: 'Cookie, Accept-Encoding' } })
    const learned = await learnCacheKey(req, res, { cache, timeout: 60, keyPrefix: 'pre' })
    expect(await cache.get(cacheHeaderKey(req, { keyPrefix: 'pre' }))).toEqual([
      'HTTP_ACCEPT_ENCODING',
      'HTTP_COOKIE',
    ])
    expect(learned).toBe(await getCacheKey(req, { cache, keyPrefix: 'pre' }))
    const url = md5Hex('http://example.com/page?b=2&a=1')
    const vary = md5Hex('-,3:x=1,')
    expect(learned).toBe(`views.decorators.cache.cache_page.pre.GET.${url}.${vary}`)
    expect(await getCacheKey(req, { cache, keyPrefix: 'pre', method: 'HEAD' })).toBe(
      `views.decorators.cache.cache_page.pre.HEAD.${url}.${vary}`,
    )
  })

  it('an absent header and an empty one give different keys (CVE-2026-113593)', async () => {
    const cache = freshCache()
    const res = new Response('x', { headers: { Vary: 'X-Token' } })
    const absent = await learnCacheKey(new Request('http://example.com/t'), res, { cache })
    const empty = await learnCacheKey(
      new Request('http://example.com/t', { headers: { 'X-Token': '' } }),
      res,
      {
        cache,
      },
    )
    expect(absent).not.toBe(empty)
  })

  it('looks aliases up in a registry, and adds language and time zone suffixes', async () => {
    const registry = createCaches({ pages: { backend: 'locmem', location: uniqueKey('pages') } })
    const req = new Request('http://example.com/i18n', { headers: { 'Accept-Language': 'fr' } })
    const res = new Response('x', { headers: { Vary: 'Accept-Language, Cookie' } })
    const opts = {
      cache: 'pages',
      registry,
      i18n: () => 'fr',
      timeZone: () => 'America/Chicago',
    }
    const key = await learnCacheKey(req, res, opts)
    expect(key.endsWith('.fr.America/Chicago')).toBe(true)
    // Accept-Language is covered by the language suffix, so it is not learned (Django #18191).
    expect(await registry.get('pages').get(cacheHeaderKey(req, opts))).toEqual(['HTTP_COOKIE'])
    expect(await getCacheKey(req, opts)).toBe(key)
    await expect(getCacheKey(req, { cache: 'nope', registry })).rejects.toThrow(/doesn't exist/)
  })
})
