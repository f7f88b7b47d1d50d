/**
 * The response cache's request-trust and reliability rules on Fetch objects (docs/contract.md
 * rule 20, docs/security.md): Host validation and `allowedHosts`, bounded single-flight
 * waiters, no `Set-Cookie` on a shared entry, stored pages checked before they are served, and
 * core's Fetch-style wrappers failing at once when used as (req, res, next) middleware.
 */
import { type Cache, createCaches } from '@cachework/core'
import {
  cacheHeaderKey,
  cacheMiddleware,
  cachePage,
  isAllowedHost,
  isServablePage,
  neverCache,
  pageCacheKey,
  ResponseCache,
  splitHost,
} from '@cachework/core/http'
import { describe, expect, it } from 'vitest'

let n = 0
function freshCache(): Cache {
  n += 1
  return createCaches({ default: { backend: 'locmem', location: `http-security-${n}` } }).get('default')
}

describe('Host validation (Django get_host)', () => {
  it('splits well-formed hosts and rejects the rest', () => {
    expect(splitHost('Example.COM:8080')).toEqual({ domain: 'example.com', port: '8080' })
    expect(splitHost('[::1]:80')).toEqual({ domain: '[::1]', port: '80' })
    for (const bad of ['a#', 'evil@h', 'h/p', 'a b', 'a_b', '', 'h:', 'h:x'])
      expect(splitHost(bad), bad).toBeUndefined()
  })

  it('matches ALLOWED_HOSTS patterns as Django does', () => {
    expect(isAllowedHost('example.com', ['.example.com'])).toBe(true)
    expect(isAllowedHost('a.example.com', ['.example.com'])).toBe(true)
    expect(isAllowedHost('badexample.com', ['.example.com'])).toBe(false)
    expect(isAllowedHost('example.com.', ['example.com'])).toBe(true)
    expect(isAllowedHost('x', ['*'])).toBe(true)
    expect(isAllowedHost('x', [])).toBe(false)
    expect(isAllowedHost('x', undefined)).toBe(true)
  })

  it('answers an unlisted or malformed host 400 without touching the cache or the handler', async () => {
    const cache = freshCache()
    let runs = 0
    const engine = new ResponseCache({ cache, allowedHosts: ['good.example'] })
    const handler = () => {
      runs += 1
      return new Response('page')
    }
    const evil = await engine.handle(new Request('http://evil.example/x'), handler)
    expect(evil.status).toBe(400)
    const header = await engine.handle(
      new Request('http://good.example/x', { headers: { host: 'good.example#' } }),
      handler,
    )
    expect(header.status).toBe(400)
    expect(runs).toBe(0)
    expect(cache.stats().sets).toBe(0)
    expect((await engine.handle(new Request('http://good.example/x'), handler)).status).toBe(200)
    expect(runs).toBe(1)
  })
})

describe('single-flight waiters are bounded', () => {
  it('run their own handler once the leader has not answered within flightWaitMs', async () => {
    const engine = new ResponseCache({ cache: freshCache(), flightWaitMs: 50 })
    let runs = 0
    const url = 'http://site.example/never'
    const handler = () => {
      runs += 1
      // The first run never finishes; the others answer.
      return runs === 1 ? new Promise<Response>(() => {}) : new Response(`run ${runs}`)
    }
    void engine.handle(new Request(url), handler)
    const waiters = await Promise.all([1, 2, 3, 4].map(() => engine.handle(new Request(url), handler)))
    expect(waiters.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(runs).toBe(5)
  })
})

describe('Set-Cookie never rides a shared entry', () => {
  it('a response that sets a cookie is served but not stored', async () => {
    const cache = freshCache()
    const engine = new ResponseCache({ cache })
    let runs = 0
    const handler = () => {
      runs += 1
      return new Response(`hello ${runs}`, { headers: { 'set-cookie': `s=${runs}` } })
    }
    const a = await engine.handle(new Request('http://site.example/s'), handler)
    const b = await engine.handle(new Request('http://site.example/s'), handler)
    expect(a.headers.get('set-cookie')).toBe('s=1')
    expect(b.headers.get('set-cookie')).toBe('s=2')
    expect(runs).toBe(2)
  })
})

describe('stored pages are checked before they are served', () => {
  const page = { status: 200, statusText: 'OK', headers: [['a', 'b']], body: new Uint8Array(1), storedAt: 1 }
  it('accepts a plain page and rejects injected or cookie-carrying ones', () => {
    expect(isServablePage(page)).toBe(true)
    expect(isServablePage({ ...page, statusText: 'OK\r\nX: 1' })).toBe(false)
    expect(isServablePage({ ...page, headers: [['a', 'b\nc']] })).toBe(false)
    expect(isServablePage({ ...page, headers: [['a b', 'c']] })).toBe(false)
    expect(isServablePage({ ...page, headers: [['Set-Cookie', 'c=1']] })).toBe(false)
    expect(isServablePage({ ...page, status: 99 })).toBe(false)
    expect(isServablePage({ ...page, storedAt: Number.NaN })).toBe(false)
  })

  it('a poisoned page in the store is a miss for the Fetch engine', async () => {
    const cache = freshCache()
    const request = new Request('http://site.example/p')
    await cache.set(cacheHeaderKey(request), [], 60)
    await cache.set(pageCacheKey(request, 'GET', []), { ...page, headers: [['set-cookie', 'victim=1']] }, 60)
    const engine = new ResponseCache({ cache })
    const r = await engine.handle(request, () => new Response('fresh'))
    expect(await r.text()).toBe('fresh')
    expect(r.headers.get('set-cookie')).toBeNull()
  })
})

describe("core's Fetch wrappers used as (req, res, next) middleware fail at once", () => {
  const req = { url: '/x', method: 'GET', headers: { host: 'h' } }
  const res = {}
  const next = () => {}
  it('throws a TypeError naming the Node wrappers instead of hanging', () => {
    const asMiddleware = cachePage(60) as unknown as (...a: unknown[]) => unknown
    expect(() => asMiddleware(req, res, next)).toThrow(/@cachework\/node/)
    const wrapped = cachePage(60)(() => new Response('x')) as unknown as (...a: unknown[]) => unknown
    expect(() => wrapped(req, res, next)).toThrow(/@cachework\/node/)
    const site = cacheMiddleware() as unknown as (...a: unknown[]) => unknown
    expect(() => site(req, res, next)).toThrow(/@cachework\/node/)
    expect(() => (neverCache as unknown as (...a: unknown[]) => unknown)(req, res, next)).toThrow(
      /@cachework\/node/,
    )
  })
})
