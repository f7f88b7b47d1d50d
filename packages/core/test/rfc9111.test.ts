// The RFC 9111 toolkit (`rfc9111` in core): parsing, dates, freshness and age for a private and
// a shared cache, storability, validation, reuse and ranges. Times are explicit epoch ms.
import { describe, expect, it } from 'vitest'
import { parseHttpDate, rfc9111 } from '../src/http/index.ts'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const date = (ms: number) => new Date(ms).toUTCString()
const timing = (headers: Array<[string, string]>, status = 200) => ({
  status,
  headers,
  requestTime: T0,
  responseTime: T0,
})

describe('Cache-Control (RFC 9111 §5.2)', () => {
  it('parses tokens and quoted strings, first occurrence wins, names case-insensitive', () => {
    const d = rfc9111.parseDirectives('MaX-aGe=60, no-cache="set-cookie, a", max-age=5, public')
    expect(d.get('max-age')).toBe('60')
    expect(d.get('no-cache')).toBe('set-cookie, a')
    expect(d.get('public')).toBe(true)
    expect(rfc9111.directiveFields(d, 'no-cache')).toEqual(['set-cookie', 'a'])
  })
  it('ignores elements that are not token[=value]: spaces around =, stray quotes', () => {
    expect(rfc9111.parseDirectives('max-age =3600').has('max-age')).toBe(false)
    expect(rfc9111.parseDirectives('max-age= 3600').has('max-age')).toBe(false)
    expect(rfc9111.parseDirectives('extension="max-age=3600", max-age=1').get('max-age')).toBe('1')
  })
  it('delta-seconds are digits only and saturate at 2^31', () => {
    const d = rfc9111.parseDirectives('max-age=3600.5, s-maxage=99999999999, min-fresh="10"')
    expect(rfc9111.directiveSeconds(d, 'max-age')).toBeUndefined()
    expect(rfc9111.directiveSeconds(d, 's-maxage')).toBe(2 ** 31)
    expect(rfc9111.directiveSeconds(d, 'min-fresh')).toBe(10)
  })
  it('splits lists outside quotes; the unquoted mode is Django’s split_header_value', () => {
    expect(rfc9111.splitList('a, "b, c", ,d')).toEqual(['a', '"b, c"', 'd'])
    expect(rfc9111.splitList('a, "b, c"', false)).toEqual(['a', '"b', 'c"'])
  })
})

describe('HTTP dates (RFC 9110 §5.6.7)', () => {
  const want = Date.UTC(1994, 10, 6, 8, 49, 37)
  it('reads IMF-fixdate, RFC 850 and asctime', () => {
    expect(rfc9111.parseHttpDateStrict('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(want)
    expect(rfc9111.parseHttpDateStrict('Sunday, 06-Nov-94 08:49:37 GMT', { currentYear: 2026 })).toBe(want)
    expect(rfc9111.parseHttpDateStrict('Sun Nov  6 08:49:37 1994')).toBe(want)
    // A two-digit year more than 50 years ahead is in the past century.
    expect(rfc9111.parseHttpDateStrict('Thursday, 18-Aug-50 02:01:18 GMT', { currentYear: 2026 })).toBe(
      Date.UTC(2050, 7, 18, 2, 1, 18),
    )
    expect(rfc9111.parseHttpDateStrict('Friday, 18-Aug-99 02:01:18 GMT', { currentYear: 2026 })).toBe(
      Date.UTC(1999, 7, 18, 2, 1, 18),
    )
  })
  it('rejects what is none of the three: time zones, one-digit hours, no comma, periods, 31 Feb', () => {
    for (const bad of [
      '0',
      'Thu, 18 Aug 2050 02:01:18 AEST',
      'Thu, 18 Aug 2050 02:01:18 UTC',
      'Thu, 18 Aug 2050 2:01:18 GMT',
      'Thu 18 Aug 2050 02:01:18 GMT',
      'Thu, 18 Aug 2050 02.01.18 GMT',
      'Thu, 18 Aug 50 02:01:18 GMT',
      'Thu, 18  Aug  2050 02:01:18 GMT',
      'Mon, 31 Feb 2050 02:01:18 GMT',
      'Xyz, 18 Aug 2050 02:01:18 GMT',
    ]) {
      expect(rfc9111.parseHttpDateStrict(bad), bad).toBeUndefined()
    }
  })
  it('names are read case-insensitively; Django mode keeps Django’s case-sensitive GMT and any day name', () => {
    expect(rfc9111.parseHttpDateStrict('THU, 18 AUG 2050 02:01:18 gmt')).toBe(Date.UTC(2050, 7, 18, 2, 1, 18))
    expect(parseHttpDate('Xyz, 18 Aug 2050 02:01:18 GMT')).toBe(Date.UTC(2050, 7, 18, 2, 1, 18))
    expect(parseHttpDate('Thu, 18 Aug 2050 02:01:18 gmt')).toBeUndefined()
  })
})

describe('freshness and age (RFC 9111 §4.2)', () => {
  it('a shared cache prefers s-maxage; a private one ignores it', () => {
    const t = timing([['cache-control', 'max-age=10, s-maxage=100']])
    expect(rfc9111.freshnessLifetime(t)).toBe(10)
    expect(rfc9111.freshnessLifetime(t, { shared: true })).toBe(100)
  })
  it('Expires minus Date; an invalid or repeated Expires is already stale', () => {
    expect(
      rfc9111.freshnessLifetime(
        timing([
          ['date', date(T0)],
          ['expires', date(T0 + 60_000)],
        ]),
      ),
    ).toBe(60)
    expect(rfc9111.freshnessLifetime(timing([['expires', '0']]))).toBe(0)
    const two = timing([
      ['expires', date(T0 + 60_000)],
      ['expires', date(T0 + 60_000)],
    ])
    expect(rfc9111.freshnessLifetime(two)).toBe(0)
  })
  it('heuristic: 10% of Date - Last-Modified for heuristically cacheable statuses only', () => {
    const h: Array<[string, string]> = [
      ['date', date(T0)],
      ['last-modified', date(T0 - 1000_000)],
    ]
    expect(rfc9111.freshnessLifetime(timing(h))).toBe(100)
    expect(rfc9111.freshnessLifetime(timing(h, 302))).toBe(0)
  })
  it('Age: digits only; a list, a second line, a sign, a fraction or a parameter makes it stale', () => {
    for (const v of ['7200.0', '-1', 'abc', '0, 0', '7200;foo=bar']) {
      expect(rfc9111.parseAge([['age', v]]), v).toBeNaN()
      const t = timing([
        ['cache-control', 'max-age=3600'],
        ['age', v],
      ])
      expect(rfc9111.evaluate(t, T0, null).fresh, v).toBe(false)
    }
    expect(
      rfc9111.parseAge([
        ['age', '0'],
        ['age', '0'],
      ]),
    ).toBeNaN()
    expect(rfc9111.currentAge(timing([['age', '30']]), T0 + 5000)).toBe(35)
  })
  it('request directives: max-age, min-fresh, max-stale, no-cache and Pragma', () => {
    const t = timing([['cache-control', 'max-age=100']])
    const at = T0 + 50_000
    expect(rfc9111.evaluate(t, at, null).fresh).toBe(true)
    expect(rfc9111.evaluate(t, at, 'max-age=10').fresh).toBe(false)
    expect(rfc9111.evaluate(t, at, 'min-fresh=60').fresh).toBe(false)
    expect(rfc9111.evaluate(t, T0 + 150_000, 'max-stale=60').fresh).toBe(true)
    expect(rfc9111.evaluate(t, T0 + 150_000, 'max-stale=10').fresh).toBe(false)
    expect(rfc9111.evaluate(t, at, 'no-cache').fresh).toBe(false)
    expect(rfc9111.evaluate(t, at, null, 'no-cache').fresh).toBe(false)
    // Pragma counts only without a request Cache-Control (§5.4).
    expect(rfc9111.evaluate(t, at, 'max-stale', 'no-cache').fresh).toBe(true)
  })
  it('stale use forbidden: must-revalidate, bare no-cache, and for a shared cache proxy-revalidate and s-maxage', () => {
    const ev = (cc: string, shared: boolean) =>
      rfc9111.evaluate(timing([['cache-control', cc]]), T0 + 20_000, null, null, { shared }).staleForbidden
    expect(ev('max-age=10, must-revalidate', false)).toBe(true)
    expect(ev('max-age=10, proxy-revalidate', false)).toBe(false)
    expect(ev('max-age=10, proxy-revalidate', true)).toBe(true)
    expect(ev('s-maxage=10', true)).toBe(true)
    expect(ev('max-age=10, no-cache="a"', false)).toBe(false)
  })
  it('a qualified no-cache="field" allows reuse without validation, minus the field', () => {
    const t = timing([
      ['cache-control', 'max-age=100, no-cache="a"'],
      ['a', '1'],
      ['b', '2'],
    ])
    expect(rfc9111.evaluate(t, T0, null).fresh).toBe(true)
    const omit = rfc9111.fieldsToOmit(t.headers, { reuse: true })
    expect(rfc9111.withoutFields(t.headers, omit).map(([k]) => k)).toEqual(['cache-control', 'b'])
  })
})

describe('storability (RFC 9111 §3)', () => {
  const ok = (cc: string, opts: { shared?: boolean; auth?: boolean; status?: number } = {}) =>
    rfc9111.isStorable(
      opts.status ?? 200,
      [['cache-control', cc]],
      { authorization: opts.auth },
      { shared: opts.shared },
    )
  it('private is stored by a private cache only; no-store by none', () => {
    expect(ok('private, max-age=60')).toBe(true)
    expect(ok('private, max-age=60', { shared: true })).toBe(false)
    expect(ok('no-store, max-age=60')).toBe(false)
  })
  it('a shared cache stores an authorized response only with public, must-revalidate or s-maxage (§3.5)', () => {
    expect(ok('max-age=60', { shared: true, auth: true })).toBe(false)
    expect(ok('max-age=60, public', { shared: true, auth: true })).toBe(true)
    expect(ok('s-maxage=60', { shared: true, auth: true })).toBe(true)
    expect(ok('max-age=60, must-revalidate', { shared: true, auth: true })).toBe(true)
  })
  it('must-understand: an unknown status is not stored even with max-age; a known one overrides no-store', () => {
    expect(ok('max-age=60, must-understand, no-store', { status: 599 })).toBe(false)
    expect(ok('max-age=60, must-understand, no-store')).toBe(true)
  })
  it('partial content, 304 and Vary: * are not stored', () => {
    expect(ok('max-age=60', { status: 206 })).toBe(false)
    expect(ok('max-age=60', { status: 304 })).toBe(false)
    expect(
      rfc9111.isStorable(200, [
        ['cache-control', 'max-age=60'],
        ['vary', 'a, *'],
      ]),
    ).toBe(false)
  })
})

describe('validation (RFC 9111 §4.3)', () => {
  it('conditional headers from the stored validators, other variants’ ETags too', () => {
    expect(
      rfc9111.conditionalHeaders(
        [
          ['etag', '"a"'],
          ['last-modified', date(T0)],
        ],
        ['"b"', '"a"'],
      ),
    ).toEqual([
      ['if-none-match', '"a", "b"'],
      ['if-modified-since', date(T0)],
    ])
  })
  it('a 304 replaces stored fields but framing and the representation’s identity', () => {
    const merged = rfc9111.mergeNotModified(
      [
        ['etag', '"a"'],
        ['x', '1'],
        ['content-length', '5'],
      ],
      [
        ['etag', '"b"'],
        ['x', '2'],
        ['content-length', '10'],
      ],
    )
    expect(merged).toEqual([
      ['etag', '"a"'],
      ['content-length', '5'],
      ['x', '2'],
    ])
  })
  it('hop-by-hop fields and those Connection names are never stored', () => {
    const h: Array<[string, string]> = [
      ['connection', 'a, b'],
      ['a', '1'],
      ['keep-alive', 'timeout=5'],
      ['c', '3'],
    ]
    expect(rfc9111.withoutFields(h, rfc9111.fieldsToOmit(h))).toEqual([['c', '3']])
  })
})

describe('ranges (RFC 9110 §14)', () => {
  const body = new TextEncoder().encode('01234567890')
  it('one range, an open end, a suffix; past the end is unsatisfiable; several are left alone', () => {
    expect(rfc9111.parseRange('bytes=0-1', 11)).toEqual({ start: 0, end: 1 })
    expect(rfc9111.parseRange('bytes=5-', 11)).toEqual({ start: 5, end: 10 })
    expect(rfc9111.parseRange('bytes=-3', 11)).toEqual({ start: 8, end: 10 })
    expect(rfc9111.parseRange('bytes=4-100', 11)).toEqual({ start: 4, end: 10 })
    expect(rfc9111.parseRange('bytes=20-', 11)).toBe('unsatisfiable')
    expect(rfc9111.parseRange('bytes=0-1,3-4', 11)).toBeUndefined()
    expect(rfc9111.parseRange('items=0-1', 11)).toBeUndefined()
  })
  it('answers 206 with Content-Range and the slice, or 416', () => {
    const a = rfc9111.rangeAnswer({ start: 8, end: 10 }, [['content-length', '11']], body)
    expect(a.status).toBe(206)
    expect(new TextDecoder().decode(a.body)).toBe('890')
    expect(a.headers).toEqual([
      ['content-range', 'bytes 8-10/11'],
      ['content-length', '3'],
    ])
    expect(rfc9111.rangeAnswer('unsatisfiable', [], body).headers).toEqual([['content-range', 'bytes */11']])
  })
})
