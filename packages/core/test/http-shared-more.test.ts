// `mode: 'shared'`, the rest of docs/contract.md §3b: Surrogate-Control, ETag validation across
// a Vary mismatch, single-flight, background stale-while-revalidate and the two halves, through
// core's Fetch wrappers with a fake clock and a fresh locmem store per test. Each case counts
// handler runs and reads what the handler was asked.
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import {
  cacheMiddleware,
  fetchFromCacheMiddleware,
  parseSurrogateControl,
  updateCacheMiddleware,
  withoutSurrogateControl,
} from '../src/http/index.ts'
import { uniqueKey } from '../src/testing/index.ts'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

type Answer = (req: Request, n: number) => Response | Promise<Response>

/** A site in shared mode over `answer`; `advance(s)` moves the clock; `seen` records the handler's calls. */
function site(answer: Answer) {
  let now = T0
  const seen: Request[] = []
  const cache = new LocMemCache({ location: uniqueKey('shared-more') })
  const mw = cacheMiddleware({ alias: cache, mode: 'shared', now: () => now })
  const handler = async (req: Request) => {
    seen.push(req)
    return answer(req, seen.length)
  }
  return {
    seen,
    cache,
    advance: (s: number) => {
      now += s * 1000
    },
    get: async (path: string, headers: Record<string, string> = {}) => {
      const r = await mw(new Request(`http://127.0.0.1${path}`, { headers }), handler)
      return { status: r.status, headers: r.headers, body: await r.text() }
    },
  }
}

const ok = (headers: Record<string, string>, body = 'x') => new Response(body, { headers })

describe('shared mode: Surrogate-Control (edge-arch)', () => {
  it('parses targets, max-age (strictly) and no-store; forwards what is meant for other devices', () => {
    expect(parseSurrogateControl('max-age=60, no-store;other')).toEqual({
      maxAge: 60,
      noStore: false,
      forward: 'no-store;other',
    })
    expect(parseSurrogateControl('MaX-aGe=30;cachework').maxAge).toBe(30)
    expect(parseSurrogateControl('max-age =30').maxAge).toBeUndefined()
    expect(parseSurrogateControl('max-age=99999999999').maxAge).toBe(2 ** 31)
    expect(parseSurrogateControl('no-store').noStore).toBe(true)
    expect(withoutSurrogateControl([['Surrogate-Control', 'max-age=1, max-age=9;cdn']])).toEqual([
      ['surrogate-control', 'max-age=9;cdn'],
    ])
  })

  it('Surrogate-Control: max-age wins over Cache-Control both ways, and is not sent on', async () => {
    const long = site((_r, n) =>
      ok({ 'cache-control': 'max-age=1', 'surrogate-control': 'max-age=3600' }, `v${n}`),
    )
    const first = await long.get('/a')
    expect(first.headers.get('surrogate-control')).toBeNull()
    expect(first.headers.get('cache-control')).toBe('max-age=1')
    long.advance(600)
    const hit = await long.get('/a')
    expect(hit.body).toBe('v1')
    expect(hit.headers.get('surrogate-control')).toBeNull()
    expect(long.seen.length).toBe(1)

    const short = site((_r, n) =>
      ok({ 'cache-control': 'max-age=3600', 'surrogate-control': 'max-age=1' }, `v${n}`),
    )
    await short.get('/b')
    short.advance(5)
    expect((await short.get('/b')).body).toBe('v2')
    expect(short.seen.length).toBe(2)
  })

  it('Surrogate-Control: no-store is never stored; max-age stores despite Cache-Control: no-store', async () => {
    const none = site(() => ok({ 'cache-control': 'max-age=600', 'surrogate-control': 'no-store' }))
    await none.get('/n')
    await none.get('/n')
    expect(none.seen.length).toBe(2)
    const kept = site(() => ok({ 'cache-control': 'no-store', 'surrogate-control': 'max-age=600;cachework' }))
    await kept.get('/k')
    await kept.get('/k')
    expect(kept.seen.length).toBe(1)
  })

  it('the app is told about this surrogate (Surrogate-Capability); another device’s max-age is ignored and forwarded', async () => {
    const s = site(() => ok({ 'surrogate-control': 'max-age=3600;cdn' }))
    const r = await s.get('/t')
    await s.get('/t')
    expect(s.seen[0]?.headers.get('surrogate-capability')).toBe('cachework="Surrogate/1.0"')
    expect(r.headers.get('surrogate-control')).toBe('max-age=3600;cdn')
    expect(s.seen.length).toBe(2)
  })
})

describe('shared mode: ETag validation across a Vary mismatch (RFC 9111 §4.3.1, §4.3.4)', () => {
  it('a request whose Vary values match no variant sends the stored ETags; the 304 selects and stores it', async () => {
    const s = site((req, n) =>
      n === 1
        ? ok({ 'cache-control': 'max-age=600', etag: '"abc"', vary: 'x-abc' }, 'stored body')
        : req.headers.get('if-none-match') === '"abc"'
          ? new Response(null, { status: 304, headers: { etag: '"abc"', 'x-new': '1' } })
          : ok({}, 'unconditional'),
    )
    await s.get('/v', { 'x-abc': '123' })
    const other = await s.get('/v', { 'x-abc': '456' })
    expect(s.seen[1]?.headers.get('if-none-match')).toBe('"abc"')
    expect(other.status).toBe(200)
    expect(other.body).toBe('stored body')
    expect(other.headers.get('x-new')).toBe('1')
    // Both Vary values are now stored: neither asks the app again.
    expect((await s.get('/v', { 'x-abc': '456' })).body).toBe('stored body')
    expect((await s.get('/v', { 'x-abc': '123' })).body).toBe('stored body')
    expect(s.seen.length).toBe(2)
  })

  it('a 304 naming no stored ETag is not passed on: the app is asked again plainly', async () => {
    const s = site((req, n) =>
      n === 1
        ? ok({ 'cache-control': 'max-age=600', etag: '"abc"', vary: 'x-abc' }, 'first')
        : req.headers.has('if-none-match')
          ? new Response(null, { status: 304, headers: { etag: '"zzz"' } })
          : ok({ 'cache-control': 'max-age=600' }, 'plain'),
    )
    await s.get('/w', { 'x-abc': '1' })
    const r = await s.get('/w', { 'x-abc': '2' })
    expect(r.status).toBe(200)
    expect(r.body).toBe('plain')
    expect(s.seen.length).toBe(3)
    expect(s.seen[2]?.headers.has('if-none-match')).toBe(false)
  })
})

describe('shared mode: single-flight and background revalidation', () => {
  it('50 concurrent cold requests run the handler once', async () => {
    let release = (): void => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const s = site(async (_r, n) => {
      await gate
      return ok({ 'cache-control': 'max-age=60' }, `v${n}`)
    })
    const all = Promise.all(Array.from({ length: 50 }, () => s.get('/cold')))
    // Let every request reach the cache before the first answer comes back.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
    release()
    const answers = await all
    expect(s.seen.length).toBe(1)
    expect(new Set(answers.map((a) => a.body))).toEqual(new Set(['v1']))
  })

  it('stale-while-revalidate answers stale before the background revalidation finishes', async () => {
    const events: string[] = []
    let release = (): void => {}
    const gate = new Promise<void>((r) => {
      release = r
    })
    const s = site(async (_r, n) => {
      if (n === 2) {
        events.push('revalidation started')
        await gate
        events.push('revalidation finished')
      }
      return ok({ 'cache-control': 'max-age=1, stale-while-revalidate=60' }, `v${n}`)
    })
    await s.get('/swr')
    s.advance(5)
    const stale = await s.get('/swr')
    events.push(`answered ${stale.body}`)
    release()
    await gate
    // Bounded: the background run stores v2 within a few turns.
    let fresh = ''
    for (let i = 0; i < 50 && fresh !== 'v2'; i++) {
      await new Promise((r) => setTimeout(r, 5))
      fresh = (await s.get('/swr')).body
    }
    // The stale answer came while the revalidation was held at the gate (had it waited, it never would).
    expect(events.filter((e) => e !== 'revalidation started')).toEqual([
      'answered v1',
      'revalidation finished',
    ])
    expect(events).toContain('revalidation started')
    expect(fresh).toBe('v2')
    expect(s.seen.length).toBe(2)
  })
})

describe('shared mode: the two halves (fetchFromCacheMiddleware / updateCacheMiddleware)', () => {
  it('store, serve, validate with a 304, and invalidate after a POST', async () => {
    let now = T0
    const cache = new LocMemCache({ location: uniqueKey('halves') })
    const opts = { alias: cache, mode: 'shared' as const, now: () => now }
    const fetchHalf = fetchFromCacheMiddleware(opts)
    const updateHalf = updateCacheMiddleware(opts)
    const seen: Request[] = []
    const app = (req: Request): Response => {
      seen.push(req)
      if (req.method === 'POST') return new Response('made', { status: 201 })
      if (req.headers.get('if-none-match') === '"e1"') {
        return new Response(null, { status: 304, headers: { etag: '"e1"', 'cache-control': 'max-age=60' } })
      }
      return ok({ 'cache-control': 'max-age=60', etag: '"e1"' }, `v${seen.length}`)
    }
    const request = async (method = 'GET') => {
      const req = new Request('http://127.0.0.1/halves', { method })
      const hit = await fetchHalf(req)
      const r = hit ?? (await updateHalf(req, app(req)))
      return { status: r.status, body: await r.text() }
    }
    expect((await request()).body).toBe('v1')
    expect((await request()).body).toBe('v1')
    expect(seen.length).toBe(1)
    now += 120_000
    const validated = await request()
    expect(seen[1]?.headers.get('if-none-match')).toBe('"e1"')
    expect(validated).toEqual({ status: 200, body: 'v1' })
    expect((await request()).body).toBe('v1')
    expect(seen.length).toBe(2)
    await request('POST')
    expect((await request()).body).toBe('v4')
    expect(seen.length).toBe(4)
  })

  it('single-flight across the halves: 40 concurrent cold requests run the app once', async () => {
    const opts = { alias: new LocMemCache({ location: uniqueKey('halves-sf') }), mode: 'shared' as const }
    const fetchHalf = fetchFromCacheMiddleware(opts)
    const updateHalf = updateCacheMiddleware(opts)
    let runs = 0
    let open = (): void => {}
    const gate = new Promise<void>((r) => {
      open = r
    })
    const request = async () => {
      const req = new Request('http://127.0.0.1/halves-sf')
      const hit = await fetchHalf(req)
      if (hit) return hit.text()
      runs++
      await gate
      return (await updateHalf(req, ok({ 'cache-control': 'max-age=60' }, `run ${runs}`))).text()
    }
    const all = Promise.all(Array.from({ length: 40 }, request))
    // No I/O in between: once the first request is in the app, every other one is waiting on it.
    while (runs === 0) await new Promise((r) => setTimeout(r, 1))
    open()
    expect(new Set(await all)).toEqual(new Set(['run 1']))
    expect(runs).toBe(1)
  })

  it('a request waiting on a claim whose update half never runs asks the app itself after flightWaitMs', async () => {
    const opts = {
      alias: new LocMemCache({ location: uniqueKey('halves-lost') }),
      mode: 'shared' as const,
      flightWaitMs: 50,
    }
    const fetchHalf = fetchFromCacheMiddleware(opts)
    const updateHalf = updateCacheMiddleware(opts)
    // The first request's app fails before the update half: its claim is never ended by it.
    expect(await fetchHalf(new Request('http://127.0.0.1/halves-lost'))).toBeUndefined()
    const second = new Request('http://127.0.0.1/halves-lost')
    expect(await fetchHalf(second)).toBeUndefined()
    const r = await updateHalf(second, ok({ 'cache-control': 'max-age=60' }, 'second'))
    expect(await r.text()).toBe('second')
    // Stored: a third request is a hit.
    expect(await (await fetchHalf(new Request('http://127.0.0.1/halves-lost')))?.text()).toBe('second')
  })
})
