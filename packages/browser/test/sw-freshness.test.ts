import { describe, expect, it } from 'vitest'
import { rfc9111 } from '@cachework/core/http'
import { evaluate, freshnessLifetime, isStorable, type StoredTiming } from '../src/sw/freshness.ts'

// The toolkit the worker uses: no parser of its own (freshness.ts only picks the private policy).
const { currentAge, mergeNotModified, parseDirectives } = rfc9111

// A fake clock: every time is an explicit epoch-ms number, starting at T0.
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const sec = (n: number): number => T0 + n * 1000
const http = (ms: number): string => new Date(ms).toUTCString()

function timing(
  headers: Array<[string, string]>,
  status = 200,
  requestTime = T0,
  responseTime = T0,
): StoredTiming {
  return { status, headers, requestTime, responseTime }
}

describe("rfc9111.parseDirectives (the worker's Cache-Control parser)", () => {
  it('parses tokens, arguments, quoted strings and case', () => {
    const cc = parseDirectives('Max-Age=60, no-cache="Set-Cookie, Link", private , must-revalidate')
    expect(cc.get('max-age')).toBe('60')
    expect(cc.get('no-cache')).toBe('Set-Cookie, Link')
    expect(cc.get('private')).toBe(true)
    expect(cc.get('must-revalidate')).toBe(true)
  })
  it('keeps the first of repeated directives and ignores empty members', () => {
    const cc = parseDirectives('max-age=5,, max-age=10')
    expect(cc.get('max-age')).toBe('5')
  })
})

describe('freshnessLifetime (private cache)', () => {
  it('uses max-age', () => {
    expect(freshnessLifetime(timing([['Cache-Control', 'max-age=60']]))).toBe(60)
  })
  it('ignores s-maxage: it is for shared caches', () => {
    expect(freshnessLifetime(timing([['Cache-Control', 's-maxage=600, max-age=10']]))).toBe(10)
    expect(freshnessLifetime(timing([['Cache-Control', 's-maxage=600']]))).toBe(0)
  })
  it('uses Expires minus Date', () => {
    const t = timing([
      ['Date', http(sec(0))],
      ['Expires', http(sec(120))],
    ])
    expect(freshnessLifetime(t)).toBe(120)
  })
  it('prefers max-age over Expires, and treats an invalid Expires as stale', () => {
    expect(
      freshnessLifetime(
        timing([
          ['Cache-Control', 'max-age=5'],
          ['Expires', http(sec(1000))],
        ]),
      ),
    ).toBe(5)
    expect(freshnessLifetime(timing([['Expires', '0']]))).toBe(0)
  })
  it('falls back to 10% of Date - Last-Modified, capped, for heuristically cacheable statuses', () => {
    const lm = (ago: number): Array<[string, string]> => [
      ['Date', http(sec(0))],
      ['Last-Modified', http(sec(-ago))],
    ]
    expect(freshnessLifetime(timing(lm(1000)))).toBe(100)
    expect(freshnessLifetime(timing(lm(10_000_000)))).toBe(86_400)
    expect(freshnessLifetime(timing(lm(10_000_000)), { heuristicCap: 3600 })).toBe(3600)
  })
  it('gives no heuristic lifetime to other statuses, or when expiry is explicit', () => {
    const h: Array<[string, string]> = [
      ['Date', http(sec(0))],
      ['Last-Modified', http(sec(-1000))],
    ]
    expect(freshnessLifetime(timing(h, 302))).toBe(0)
    expect(freshnessLifetime(timing([...h, ['Cache-Control', 'public']], 302))).toBe(100)
    expect(freshnessLifetime(timing([...h, ['Cache-Control', 'max-age=0']]))).toBe(0)
  })
})

describe('currentAge', () => {
  it('adds resident time', () => {
    expect(currentAge(timing([['Date', http(sec(0))]]), sec(30))).toBe(30)
  })
  it('counts the Age header plus the response delay', () => {
    const t = timing([['Age', '50']], 200, sec(0), sec(2))
    expect(currentAge(t, sec(2))).toBe(52)
    expect(currentAge(t, sec(12))).toBe(62)
  })
  it('uses the apparent age when Date is older than the arrival', () => {
    const t = timing([['Date', http(sec(-40))]], 200, sec(0), sec(0))
    expect(currentAge(t, sec(0))).toBe(40)
  })
})

describe('evaluate', () => {
  const maxAge60: Array<[string, string]> = [
    ['Date', http(sec(0))],
    ['Cache-Control', 'max-age=60'],
  ]
  it('is fresh before max-age and stale after, with the clock', () => {
    expect(evaluate(timing(maxAge60), sec(59), null).fresh).toBe(true)
    expect(evaluate(timing(maxAge60), sec(60), null).fresh).toBe(false)
    expect(evaluate(timing(maxAge60), sec(10), null).expiresAt).toBe(sec(60))
  })
  it('an Age header shortens the remaining freshness', () => {
    const t = timing([...maxAge60, ['Age', '50']])
    expect(evaluate(t, sec(9), null).fresh).toBe(true)
    expect(evaluate(t, sec(11), null).fresh).toBe(false)
  })
  it('no-cache on the response means validate every time', () => {
    const ev = evaluate(timing([['Cache-Control', 'max-age=600, no-cache']]), sec(1), null)
    expect(ev.fresh).toBe(false)
    expect(ev.mustValidate).toBe(true)
    expect(ev.staleForbidden).toBe(true)
  })
  it('request no-cache, Pragma: no-cache and max-age=0 force validation', () => {
    expect(evaluate(timing(maxAge60), sec(1), 'no-cache').fresh).toBe(false)
    expect(evaluate(timing(maxAge60), sec(1), null, 'no-cache').fresh).toBe(false)
    expect(evaluate(timing(maxAge60), sec(1), 'max-age=0').fresh).toBe(false)
  })
  it('must-revalidate forbids stale use, even within stale-if-error', () => {
    const t = timing([['Cache-Control', 'max-age=10, must-revalidate, stale-if-error=600']])
    const ev = evaluate(t, sec(20), null)
    expect(ev.fresh).toBe(false)
    expect(ev.staleForbidden).toBe(true)
    expect(ev.staleIfError).toBe(false)
    expect(evaluate(t, sec(20), 'max-stale').fresh).toBe(false)
  })
  it('max-stale accepts bounded staleness when allowed', () => {
    expect(evaluate(timing(maxAge60), sec(70), 'max-stale=20').fresh).toBe(true)
    expect(evaluate(timing(maxAge60), sec(90), 'max-stale=20').fresh).toBe(false)
  })
  it('stale-while-revalidate and stale-if-error are time-bounded windows (RFC 5861)', () => {
    const t = timing([['Cache-Control', 'max-age=10, stale-while-revalidate=30, stale-if-error=100']])
    expect(evaluate(t, sec(5), null).staleWhileRevalidate).toBe(false)
    expect(evaluate(t, sec(30), null).staleWhileRevalidate).toBe(true)
    expect(evaluate(t, sec(41), null).staleWhileRevalidate).toBe(false)
    expect(evaluate(t, sec(100), null).staleIfError).toBe(true)
    expect(evaluate(t, sec(111), null).staleIfError).toBe(false)
    expect(evaluate(timing(maxAge60), sec(100), 'stale-if-error=60').staleIfError).toBe(true)
  })
})

describe('isStorable', () => {
  it('refuses no-store on either side, Vary: *, 206 and 304', () => {
    expect(isStorable(200, [['Cache-Control', 'no-store, max-age=60']])).toBe(false)
    expect(isStorable(200, [['Cache-Control', 'max-age=60']], 'no-store')).toBe(false)
    expect(isStorable(200, [['Vary', 'Accept, *']])).toBe(false)
    expect(isStorable(206, [['Cache-Control', 'max-age=60']])).toBe(false)
    expect(isStorable(304, [['Cache-Control', 'max-age=60']])).toBe(false)
  })
  it('stores private and no-cache responses (a private cache), and explicit freshness on any status', () => {
    expect(isStorable(200, [['Cache-Control', 'private']])).toBe(true)
    expect(isStorable(200, [['Cache-Control', 'no-cache']])).toBe(true)
    expect(isStorable(302, [['Cache-Control', 'max-age=60']])).toBe(true)
    expect(isStorable(302, [])).toBe(false)
    expect(isStorable(404, [])).toBe(true)
  })
})

describe('mergeNotModified', () => {
  it('replaces headers the 304 carries and keeps framing headers', () => {
    const merged = mergeNotModified(
      [
        ['ETag', '"a"'],
        ['Cache-Control', 'max-age=1'],
        ['Content-Length', '10'],
        ['Content-Type', 'text/plain'],
      ],
      [
        ['cache-control', 'max-age=60'],
        ['content-length', '0'],
        ['etag', '"a"'],
      ],
    )
    expect(new Headers(merged).get('cache-control')).toBe('max-age=60')
    expect(new Headers(merged).get('content-length')).toBe('10')
    expect(new Headers(merged).get('content-type')).toBe('text/plain')
  })
})
