/**
 * RFC 9111 freshness for a **private** cache, as pure functions over header lists and times
 * (epoch ms), so they run in a service worker and in unit tests with a fake clock alike.
 * This is not Django's middleware policy (django/middleware/cache.py refuses `private` and `no-cache`);
 * a browser-side cache is exactly the private cache the RFC describes.
 */

/** Header pairs as stored: `[name, value]`, names in any case. */
export type HeaderList = ReadonlyArray<readonly [string, string]>

/** Parsed `Cache-Control`: lower-cased directive name → argument (`true` when it has none). */
export type Directives = Map<string, string | true>

/** The timing facts freshness needs about one stored response (RFC 9111 §4.2.3). */
export interface StoredTiming {
  status: number
  headers: HeaderList
  /** When the request that produced the response was sent (epoch ms). */
  requestTime: number
  /** When the response was received (epoch ms). */
  responseTime: number
}

/** Options of the freshness policy. */
export interface FreshnessOptions {
  /** Upper bound of a heuristic lifetime, in seconds. Default 86400 (one day, as Firefox's is a week and the RFC sets none). */
  heuristicCap?: number
  /** Fraction of `Date - Last-Modified` used as heuristic lifetime. Default 0.1 (RFC 9111 §4.2.2). */
  heuristicFraction?: number
}

/** Statuses that are "heuristically cacheable" (RFC 9110 §15.1); 206 is left out: ranges are not stored. */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501,
])

/** The value of header `name` in `headers` (several occurrences joined with `, `), or `undefined`. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase()
  let out: string | undefined
  for (const [k, v] of headers) {
    if (k.toLowerCase() === lower) out = out === undefined ? v : `${out}, ${v}`
  }
  return out
}

/**
 * Parse a `Cache-Control` value (RFC 9111 §5.2): comma-separated `token[=token|quoted-string]`.
 * Names are case-insensitive; when a directive repeats, the first occurrence wins.
 */
export function parseCacheControl(value: string | null | undefined): Directives {
  const out: Directives = new Map()
  if (!value) return out
  const re = /([^\s=,]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*)))?/g
  for (const m of value.matchAll(re)) {
    const name = (m[1] as string).toLowerCase()
    const arg = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]
    if (!out.has(name)) out.set(name, arg === undefined ? true : arg)
  }
  return out
}

/** A delta-seconds argument (RFC 9111 §1.2.2), or `undefined` when absent or malformed. */
export function deltaSeconds(directives: Directives, name: string): number | undefined {
  const v = directives.get(name)
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined
  // Values too large to represent saturate at 2^31 seconds (RFC 9111 §1.2.2).
  return Math.min(Number(v), 2 ** 31)
}

/** An HTTP-date as epoch ms, or `undefined` when it does not parse (RFC 9110 §5.6.7). */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value.trim())
  return Number.isNaN(t) ? undefined : t
}

/** The response's `Cache-Control` directives. */
export function responseDirectives(headers: HeaderList): Directives {
  return parseCacheControl(headerValue(headers, 'cache-control'))
}

/**
 * Freshness lifetime in seconds (RFC 9111 §4.2.1) for a private cache: `max-age`, else
 * `Expires - Date`, else a heuristic where §4.2.2 allows one, else 0. `s-maxage` is ignored: it
 * applies to shared caches only.
 */
export function freshnessLifetime(t: StoredTiming, opts: FreshnessOptions = {}): number {
  const cc = responseDirectives(t.headers)
  const maxAge = deltaSeconds(cc, 'max-age')
  if (maxAge !== undefined) return maxAge
  // A present but malformed max-age means "stale" rather than "fall back to Expires" (§4.2.1).
  if (cc.has('max-age')) return 0
  const expiresRaw = headerValue(t.headers, 'expires')
  if (expiresRaw !== undefined) {
    const expires = parseHttpDate(expiresRaw)
    // An invalid Expires (e.g. "0") means already expired (§5.3).
    if (expires === undefined) return 0
    const date = parseHttpDate(headerValue(t.headers, 'date')) ?? t.responseTime
    return Math.max(0, (expires - date) / 1000)
  }
  return heuristicLifetime(t, cc, opts)
}

/**
 * Heuristic freshness (RFC 9111 §4.2.2): only without explicit expiry, only for heuristically
 * cacheable statuses or `public` responses, and only with `Last-Modified`: a fraction of the time
 * since last modification, capped.
 */
export function heuristicLifetime(t: StoredTiming, cc: Directives, opts: FreshnessOptions = {}): number {
  if (!HEURISTIC_STATUSES.has(t.status) && !cc.has('public')) return 0
  const lastModified = parseHttpDate(headerValue(t.headers, 'last-modified'))
  if (lastModified === undefined) return 0
  const date = parseHttpDate(headerValue(t.headers, 'date')) ?? t.responseTime
  const fraction = opts.heuristicFraction ?? 0.1
  const cap = opts.heuristicCap ?? 86_400
  return Math.min(cap, Math.max(0, ((date - lastModified) / 1000) * fraction))
}

/**
 * The response's current age in seconds at `now` (RFC 9111 §4.2.3): the corrected initial age
 * (the larger of the apparent age from `Date` and `Age` plus the request's round trip) plus the
 * time it has been resident in the cache.
 */
export function currentAge(t: StoredTiming, now: number): number {
  const date = parseHttpDate(headerValue(t.headers, 'date')) ?? t.responseTime
  const ageHeader = Number.parseInt(headerValue(t.headers, 'age') ?? '', 10)
  const ageValue = Number.isFinite(ageHeader) && ageHeader >= 0 ? ageHeader : 0
  const apparentAge = Math.max(0, t.responseTime - date) / 1000
  const responseDelay = Math.max(0, t.responseTime - t.requestTime) / 1000
  const correctedInitialAge = Math.max(apparentAge, ageValue + responseDelay)
  const residentTime = Math.max(0, now - t.responseTime) / 1000
  return correctedInitialAge + residentTime
}

/** How a stored response may be used for a request at one moment. */
export interface Evaluation {
  /** Age in seconds now (what the `Age` header says). */
  age: number
  /** Freshness lifetime in seconds. */
  lifetime: number
  /** Fresh and usable without contacting the origin. */
  fresh: boolean
  /** Must be validated before reuse even when fresh (`no-cache` on response or request). */
  mustValidate: boolean
  /** Stale, but inside a `stale-while-revalidate` window: serve, refresh in the background. */
  staleWhileRevalidate: boolean
  /** Inside a `stale-if-error` window (response or request directive): usable when the origin fails. */
  staleIfError: boolean
  /** Stale use forbidden even when disconnected (`must-revalidate`, `no-cache`; §4.2.4). */
  staleForbidden: boolean
  /** Epoch ms when it stops being fresh. */
  expiresAt: number
}

/**
 * Decide how a stored response serves a request with `requestCacheControl` at `now`
 * (RFC 9111 §4.2, §4.3; RFC 5861 for the stale windows). Request `max-age`, `min-fresh`,
 * `max-stale`, `no-cache` and `Pragma: no-cache` are honoured.
 */
export function evaluate(
  t: StoredTiming,
  now: number,
  requestCacheControl: string | null | undefined,
  requestPragma: string | null | undefined = undefined,
  opts: FreshnessOptions = {},
): Evaluation {
  const cc = responseDirectives(t.headers)
  const req = parseCacheControl(requestCacheControl)
  const age = currentAge(t, now)
  const lifetime = freshnessLifetime(t, opts)
  const staleForbidden = cc.has('must-revalidate') || cc.has('no-cache') || cc.has('proxy-revalidate')
  // Pragma: no-cache counts only when the request has no Cache-Control (RFC 9111 §5.4).
  const reqNoCache =
    req.has('no-cache') || (req.size === 0 && /(^|,)\s*no-cache\s*(,|$)/i.test(requestPragma ?? ''))
  const mustValidate = cc.has('no-cache') || reqNoCache

  let fresh = age < lifetime
  const reqMaxAge = deltaSeconds(req, 'max-age')
  // `max-age=0` asks for validation (what browsers send on reload), even at an age of exactly 0.
  if (reqMaxAge !== undefined && (age > reqMaxAge || reqMaxAge === 0)) fresh = false
  const minFresh = deltaSeconds(req, 'min-fresh')
  if (minFresh !== undefined && lifetime - age < minFresh) fresh = false
  if (!fresh && !staleForbidden && req.has('max-stale')) {
    // A bare max-stale accepts any staleness; with a value, only that much (§5.2.1.2).
    const maxStale = deltaSeconds(req, 'max-stale')
    if (maxStale === undefined || age - lifetime <= maxStale) fresh = true
  }

  const staleness = age - lifetime
  const swr = deltaSeconds(cc, 'stale-while-revalidate')
  const sie = deltaSeconds(cc, 'stale-if-error')
  const reqSie = deltaSeconds(req, 'stale-if-error')
  const inWindow = (w: number | undefined): boolean => w !== undefined && staleness <= w
  return {
    age,
    lifetime,
    fresh: fresh && !mustValidate,
    mustValidate,
    staleWhileRevalidate: !fresh && !mustValidate && !staleForbidden && inWindow(swr),
    staleIfError: !mustValidate && !cc.has('must-revalidate') && (inWindow(sie) || inWindow(reqSie)),
    staleForbidden,
    expiresAt: t.responseTime + (lifetime - (age - Math.max(0, now - t.responseTime) / 1000)) * 1000,
  }
}

/**
 * Whether a response to a GET may be stored by a private cache (RFC 9111 §3): not `no-store` on
 * either side, not `Vary: *`, not a partial or 304 response, and with explicit freshness, a
 * validator-bearing `no-cache`, `public`/`private`, or a heuristically cacheable status.
 */
export function isStorable(
  status: number,
  headers: HeaderList,
  requestCacheControl?: string | null,
): boolean {
  if (status < 200 || status === 206 || status === 304 || status >= 600) return false
  if (parseCacheControl(requestCacheControl).has('no-store')) return false
  const cc = responseDirectives(headers)
  if (cc.has('no-store')) return false
  if (
    (headerValue(headers, 'vary') ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('*')
  ) {
    return false
  }
  return (
    cc.has('max-age') ||
    cc.has('public') ||
    cc.has('private') ||
    cc.has('no-cache') ||
    headerValue(headers, 'expires') !== undefined ||
    HEURISTIC_STATUSES.has(status)
  )
}

/** Headers a 304 must not overwrite in the stored response (RFC 9111 §3.2). */
const KEEP_ON_304 = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range'])

/**
 * Freshen stored headers with those of a `304 Not Modified` (RFC 9111 §4.3.4): every header the
 * 304 carries replaces the stored one of that name, except the framing headers listed in §3.2.
 */
export function mergeNotModified(stored: HeaderList, notModified: HeaderList): Array<[string, string]> {
  const replaced = new Set<string>()
  for (const [k] of notModified) {
    const lower = k.toLowerCase()
    if (!KEEP_ON_304.has(lower)) replaced.add(lower)
  }
  const out: Array<[string, string]> = stored
    .filter(([k]) => !replaced.has(k.toLowerCase()))
    .map(([k, v]) => [k, v] as [string, string])
  for (const [k, v] of notModified) if (replaced.has(k.toLowerCase())) out.push([k, v])
  return out
}
