// `mode: 'shared'`: the response cache as an RFC 9111 shared cache (shared-cache.ts), through
// core's cacheMiddleware with a fake clock and a fresh locmem store per test. Each case counts
// handler runs and reads what the handler was asked (conditional headers).
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import { cacheMiddleware, cachePage } from '../src/http/index.ts'
import { uniqueKey } from '../src/testing/index.ts'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

/** A site in shared mode over `answer`; `advance(s)` moves the clock; `runs`/`seen` record the handler's calls. */
function site(answer: (req: Request, n: number) => Response, mode: 'shared' | 'django' = 'shared') {
  let now = T0
  const seen: Request[] = []
  const cache = new LocMemCache({ location: uniqueKey('shared') })
  const mw = cacheMiddleware({ alias: cache, mode, now: () => now })
  const handler = async (req: Request) => {
    seen.push(req)
    return answer(req, seen.length)
  }
  return {
    seen,
    advance: (s: number) => {
      now += s * 1000
    },
    get: async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
      const r = await mw(new Request(`http://127.0.0.1${path}`, { method, headers }), handler)
      return { status: r.status, headers: r.headers, body: await r.text() }
    },
  }
}

const ok = (headers: Record<string, string>, body = 'x') => new Response(body, { headers })

describe('mode: shared (RFC 9111 shared cache)', () => {
  it('s-maxage beats max-age, and Age counts the time stored', async () => {
    const s = site((_r, n) => ok({ 'cache-control': 'max-age=1, s-maxage=60' }, `v${n}`))
    await s.get('/a')
    s.advance(30)
    const hit = await s.get('/a')
    expect(hit.body).toBe('v1')
    expect(hit.headers.get('age')).toBe('30')
    s.advance(31)
    expect((await s.get('/a')).body).toBe('v2')
    expect(s.seen.length).toBe(2)
  })

  it('private is never stored; no-store neither', async () => {
    const p = site(() => ok({ 'cache-control': 'private, max-age=60' }))
    await p.get('/p')
    await p.get('/p')
    expect(p.seen.length).toBe(2)
    const n = site(() => ok({ 'cache-control': 'no-store, max-age=60' }))
    await n.get('/n')
    await n.get('/n')
    expect(n.seen.length).toBe(2)
  })

  it('no-cache is revalidated with a conditional request; a 304 merges its headers into the stored one', async () => {
    const s = site((_req, n) =>
      n === 1
        ? ok({ 'cache-control': 'no-cache', etag: '"v1"', 'x-a': '1' }, 'body')
        : new Response(null, { status: 304, headers: { etag: '"v1"', 'x-a': '2' } }),
    )
    await s.get('/c')
    const again = await s.get('/c')
    expect(s.seen[1]?.headers.get('if-none-match')).toBe('"v1"')
    expect(again.status).toBe(200)
    expect(again.body).toBe('body')
    expect(again.headers.get('x-a')).toBe('2')
  })

  it('the client’s own If-None-Match is answered 304 from a fresh stored response', async () => {
    const s = site(() => ok({ 'cache-control': 'max-age=60', etag: '"e"' }))
    await s.get('/e')
    const r = await s.get('/e', { 'if-none-match': '"e"' })
    expect(r.status).toBe(304)
    expect(s.seen.length).toBe(1)
  })

  it('request Cache-Control: max-age=0 and no-cache validate; only-if-cached without a stored response is 504', async () => {
    const s = site((_r, n) => ok({ 'cache-control': 'max-age=60' }, `v${n}`))
    await s.get('/r')
    expect((await s.get('/r', { 'cache-control': 'max-age=0' })).body).toBe('v2')
    expect((await s.get('/r', { 'cache-control': 'no-cache' })).body).toBe('v3')
    expect((await s.get('/other', { 'cache-control': 'only-if-cached' })).status).toBe(504)
  })

  it('a POST invalidates its URL and the Location it names', async () => {
    const s = site((req, n) =>
      req.method === 'POST'
        ? new Response('made', { status: 201, headers: { location: '/b' } })
        : ok({ 'cache-control': 'max-age=600' }, `v${n}`),
    )
    await s.get('/a')
    await s.get('/b')
    await s.get('/a', {}, 'POST')
    expect((await s.get('/a')).body).not.toBe('v1')
    expect((await s.get('/b')).body).not.toBe('v2')
    expect(s.seen.length).toBe(5)
  })

  it('stale-if-error serves the stored response when the app answers 500; must-revalidate does not', async () => {
    const s = site((_r, n) =>
      n === 1
        ? ok({ 'cache-control': 'max-age=1, stale-if-error=60' }, 'good')
        : new Response('bad', { status: 500 }),
    )
    await s.get('/s')
    s.advance(5)
    expect((await s.get('/s')).body).toBe('good')
    const m = site((_r, n) =>
      n === 1
        ? ok({ 'cache-control': 'max-age=1, must-revalidate' }, 'good')
        : new Response('bad', { status: 500 }),
    )
    await m.get('/m')
    m.advance(5)
    expect((await m.get('/m')).status).toBe(500)
  })

  it('an authorized request is stored only when the response allows it (public, s-maxage, must-revalidate)', async () => {
    const s = site(() => ok({ 'cache-control': 'max-age=60' }))
    await s.get('/z', { authorization: 'Basic eDp5' })
    await s.get('/z', { authorization: 'Basic eDp5' })
    expect(s.seen.length).toBe(2)
    const p = site(() => ok({ 'cache-control': 'public, max-age=60' }))
    await p.get('/z', { authorization: 'Basic eDp5' })
    await p.get('/z', { authorization: 'Basic eDp5' })
    expect(p.seen.length).toBe(1)
  })

  it('a single byte range is answered 206 from a stored complete response', async () => {
    const s = site(() => ok({ 'cache-control': 'max-age=60' }, '01234567890'))
    await s.get('/range')
    const r = await s.get('/range', { range: 'bytes=-3' })
    expect(r.status).toBe(206)
    expect(r.body).toBe('890')
    expect(r.headers.get('content-range')).toBe('bytes 8-10/11')
    expect(s.seen.length).toBe(1)
  })

  it('heuristic freshness from Last-Modified; Vary keeps variants apart', async () => {
    const s = site((req, n) =>
      ok(
        {
          'last-modified': new Date(T0 - 1000_000).toUTCString(),
          date: new Date(T0).toUTCString(),
          vary: 'accept-language',
        },
        `${req.headers.get('accept-language')} ${n}`,
      ),
    )
    await s.get('/h', { 'accept-language': 'fr' })
    await s.get('/h', { 'accept-language': 'de' })
    s.advance(50) // a heuristic of 10% of 1000 s
    expect((await s.get('/h', { 'accept-language': 'fr' })).body).toBe('fr 1')
    expect((await s.get('/h', { 'accept-language': 'de' })).body).toBe('de 2')
    expect(s.seen.length).toBe(2)
  })

  it('Django mode stays the default: it stores for 600 s without max-age and ignores s-maxage', async () => {
    const d = site((_r, n) => ok({ 'cache-control': 's-maxage=5' }, `v${n}`), 'django')
    await d.get('/d')
    d.advance(60)
    expect((await d.get('/d')).body).toBe('v1')
  })

  it('cachePage(timeout, { mode: shared }) gives responses without expiry that lifetime', async () => {
    let runs = 0
    let now = T0
    const view = cachePage(30, {
      cache: new LocMemCache({ location: uniqueKey('shared') }),
      mode: 'shared',
      now: () => now,
    })(async () => new Response(`v${++runs}`))
    await view(new Request('http://127.0.0.1/p'))
    now += 20_000
    expect(await (await view(new Request('http://127.0.0.1/p'))).text()).toBe('v1')
    now += 20_000
    expect(await (await view(new Request('http://127.0.0.1/p'))).text()).toBe('v2')
  })
})
