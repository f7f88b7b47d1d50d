/**
 * The service-worker cache engine in Node with a fake clock, against a real `node:http` origin
 * (tests/fixtures/sw/origin.ts) and a real locmem cache: the time-dependent RFC 9111 / RFC 5861
 * rules that a browser test could only check by sleeping.
 */
import { LocMemCache } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Origin, type RouteSpec, startOrigin } from '../../../tests/fixtures/sw/origin.ts'
import { ResponseCacheEngine, STATUS_HEADER } from '../src/sw/engine.ts'
import { listEntries } from '../src/sw/messages.ts'

let origin: Origin
beforeAll(async () => {
  origin = await startOrigin()
})
afterAll(async () => {
  await origin.close()
})

/** An engine on a fresh locmem store with a clock the test moves by hand. */
function setup() {
  let now = Date.now()
  origin.now = () => now // the origin's Date header follows the fake clock too
  const cache = new LocMemCache({ location: uniqueKey('sw-engine'), timeout: null })
  const engine = new ResponseCacheEngine({ cache, origin: origin.url, clock: { now: () => now } })
  const pending: Promise<unknown>[] = []
  const get = async (path: string, init: RequestInit = {}) => {
    const request = new Request(`${origin.url}${path}`, init)
    const answer = engine.handle(request, (p) => pending.push(p))
    const response = await (answer ?? fetch(request))
    return {
      status: response.status,
      body: await response.text(),
      how: response.headers.get(STATUS_HEADER),
      response,
    }
  }
  return {
    cache,
    engine,
    get,
    advance: (seconds: number) => {
      now += seconds * 1000
    },
    settle: () => Promise.all(pending.splice(0)),
  }
}

function route(spec: RouteSpec): string {
  const path = `/api/${uniqueKey('e')}`
  origin.routes.set(path, spec)
  return path
}

describe('freshness over time', () => {
  it('max-age: fresh hits until it runs out, then the origin again', async () => {
    const t = setup()
    const path = route({ headers: { 'cache-control': 'max-age=60' } })
    expect((await t.get(path)).how).toBe('miss')
    t.advance(30)
    const hit = await t.get(path)
    expect(hit.how).toBe('hit')
    expect(Number(hit.response.headers.get('age'))).toBeGreaterThanOrEqual(30)
    expect(origin.count(path).hits).toBe(1)
    t.advance(31)
    expect((await t.get(path)).how).toBe('miss')
    expect(origin.count(path).hits).toBe(2)
  })

  it('Expires minus Date, and an Age header that shortens it', async () => {
    const t = setup()
    const date = new Date().toUTCString()
    const exp = route({ headers: { date, expires: new Date(Date.parse(date) + 100_000).toUTCString() } })
    const aged = route({ headers: { 'cache-control': 'max-age=60', age: '50' } })
    await t.get(exp)
    await t.get(aged)
    t.advance(5)
    expect((await t.get(aged)).how).toBe('hit')
    t.advance(20)
    expect((await t.get(exp)).how).toBe('hit')
    expect((await t.get(aged)).how).toBe('miss')
    t.advance(80)
    expect((await t.get(exp)).how).toBe('miss')
  })

  it('heuristic freshness from Last-Modified, then If-Modified-Since and a 304', async () => {
    const t = setup()
    const lastModified = new Date(Date.now() - 1_000_000).toUTCString()
    const path = route({ lastModified })
    await t.get(path)
    t.advance(50) // lifetime is 10% of ~1000 s
    expect((await t.get(path)).how).toBe('hit')
    t.advance(100)
    const r = await t.get(path)
    expect(r.how).toBe('revalidated')
    expect(r.body).toBe(`body of ${path} #1`)
    expect(origin.count(path).notModified).toBe(1)
  })

  it('s-maxage is ignored: with an ETag, every request is revalidated', async () => {
    const t = setup()
    const path = route({ headers: { 'cache-control': 's-maxage=600' }, etag: '"s"' })
    await t.get(path)
    expect((await t.get(path)).how).toBe('revalidated')
    expect((await t.get(path)).how).toBe('revalidated')
    expect(origin.count(path).notModified).toBe(2)
  })

  it('request max-age=0 and the no-cache cache mode revalidate a fresh entry', async () => {
    const t = setup()
    const path = route({ headers: { 'cache-control': 'max-age=600' }, etag: '"r"' })
    await t.get(path)
    expect((await t.get(path, { headers: { 'cache-control': 'max-age=0' } })).how).toBe('revalidated')
    expect((await t.get(path, { cache: 'no-cache' })).how).toBe('revalidated')
    expect((await t.get(path)).how).toBe('hit')
    expect(origin.count(path).notModified).toBe(2)
  })
})

describe('single-flight validation', () => {
  it('concurrent requests for one stale entry send one conditional request', async () => {
    const t = setup()
    const spec: RouteSpec = { headers: { 'cache-control': 'max-age=10' }, etag: '"sf"' }
    const path = route(spec)
    await t.get(path)
    t.advance(20)
    spec.delayMs = 300 // keep the first validation in flight while the others arrive
    const answers = await Promise.all([t.get(path), t.get(path), t.get(path), t.get(path)])
    expect(answers.map((a) => a.how)).toEqual(['revalidated', 'revalidated', 'revalidated', 'revalidated'])
    expect(answers.every((a) => a.body === `body of ${path} #1`)).toBe(true)
    expect(origin.count(path).notModified).toBe(1)
    expect(origin.count(path).hits).toBe(2)
  })
})

describe('stale windows (RFC 5861)', () => {
  it('stale-while-revalidate serves stale inside the window only', async () => {
    const t = setup()
    const path = route({ headers: { 'cache-control': 'max-age=10, stale-while-revalidate=30' } })
    await t.get(path)
    t.advance(20)
    const stale = await t.get(path)
    expect(stale.how).toBe('stale')
    expect(stale.body).toBe(`body of ${path} #1`)
    await t.settle()
    expect(origin.count(path).hits).toBe(2)
    expect((await t.get(path)).body).toBe(`body of ${path} #2`)
    t.advance(100) // past max-age + swr of the refreshed entry
    const late = await t.get(path)
    expect(late.how).toBe('miss')
    expect(late.body).toBe(`body of ${path} #3`)
  })

  it('stale-if-error serves stale on a 500 inside the window, the 500 after it', async () => {
    const t = setup()
    const spec: RouteSpec = { headers: { 'cache-control': 'max-age=10, stale-if-error=30' } }
    const path = route(spec)
    await t.get(path)
    spec.status = 500
    t.advance(20)
    const r = await t.get(path)
    expect([r.status, r.how]).toEqual([200, 'stale-if-error'])
    t.advance(30)
    expect((await t.get(path)).status).toBe(500)
  })

  it('offline: stale is served on a network error unless must-revalidate forbids it (then a 504)', async () => {
    const t = setup()
    const loose: RouteSpec = { headers: { 'cache-control': 'max-age=10' } }
    const strict: RouteSpec = { headers: { 'cache-control': 'max-age=10, must-revalidate' } }
    const a = route(loose)
    const b = route(strict)
    await t.get(a)
    await t.get(b)
    loose.fail = true
    strict.fail = true
    t.advance(20)
    expect((await t.get(a)).how).toBe('stale-if-error')
    // RFC 9111 §4.2.4 / §5.2.2.2: the cache generates a 504 rather than reuse it.
    const forbidden = await t.get(b)
    expect(forbidden.status).toBe(504)
    expect(forbidden.body).toBe('')
  })
})

describe('variants and invalidation', () => {
  it('a Vary mismatch still validates the stored ETag; the 304 selects that variant', async () => {
    const t = setup()
    const path = route({ etag: '"abc"', headers: { 'cache-control': 'max-age=600', vary: 'x-abc' } })
    expect((await t.get(path, { headers: { 'x-abc': '1' } })).how).toBe('miss')
    const other = await t.get(path, { headers: { 'x-abc': '2' } })
    expect(other.how).toBe('revalidated')
    expect(other.body).toBe(`body of ${path} #1`)
    expect(origin.count(path).notModified).toBe(1)
    expect((await t.get(path, { headers: { 'x-abc': '2' } })).how).toBe('hit')
  })

  it('a changed Vary list drops the variants learned under the old one', async () => {
    const t = setup()
    const spec: RouteSpec = { headers: { 'cache-control': 'max-age=600', vary: 'accept-language' } }
    const path = route(spec)
    await t.get(path, { headers: { 'accept-language': 'en' } })
    await t.get(path, { headers: { 'accept-language': 'fr' } })
    expect((await listEntries(t.cache)).length).toBe(2)
    spec.headers = { 'cache-control': 'max-age=600', vary: 'accept-encoding' }
    await t.get(path, { cache: 'reload' })
    const entries = await listEntries(t.cache)
    // The request sent no Accept-Encoding of its own: an absent header is a variant of its own.
    expect(entries.map((e) => e.variant)).toEqual(['accept-encoding'])
  })

  it('a POST answered with Location invalidates the Location URL, and leaves other URLs', async () => {
    const t = setup()
    const unrelated = route({ headers: { 'cache-control': 'max-age=600' } })
    const created = route({ headers: { 'cache-control': 'max-age=600' } })
    const collection = route({ status: 201, headers: { location: created } })
    await t.get(created)
    await t.get(unrelated)
    expect((await t.get(created)).how).toBe('hit')
    await t.get(collection, { method: 'POST', body: 'x' })
    expect((await t.get(created)).how).toBe('miss')
    expect((await t.get(unrelated)).how).toBe('hit')
  })

  it('does not store a followed redirect under the URL that redirected', async () => {
    const t = setup()
    const target = route({ headers: { 'cache-control': 'max-age=600' } })
    const moved = route({ status: 302, headers: { location: target } })
    expect((await t.get(moved)).body).toBe(`body of ${target} #1`)
    expect((await listEntries(t.cache)).map((e) => e.url)).toEqual([])
    await t.get(moved)
    expect(origin.count(moved).hits).toBe(2)
  })

  it('does not store a response varying on Cookie, which the worker cannot see', async () => {
    const t = setup()
    const path = route({ headers: { 'cache-control': 'max-age=600', vary: 'Cookie' } })
    await t.get(path)
    await t.get(path)
    expect(origin.count(path).hits).toBe(2)
  })

  it('never stores no-store and passes the page’s conditional requests through', async () => {
    const t = setup()
    const path = route({ headers: { 'cache-control': 'no-store' }, etag: '"n"' })
    await t.get(path)
    expect((await listEntries(t.cache)).length).toBe(0)
    const request = new Request(`${origin.url}${path}`, { headers: { 'if-none-match': '"n"' } })
    expect(t.engine.handle(request, () => undefined)).toBeUndefined()
  })
})
