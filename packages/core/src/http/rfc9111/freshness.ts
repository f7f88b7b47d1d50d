/**
 * Freshness and age (RFC 9111 §4.2) as pure functions over header lists and times (epoch ms),
 * parameterised by the kind of cache: a **private** cache (a browser, the service worker)
 * ignores `s-maxage` and `proxy-revalidate`; a **shared** one (the server's `mode: 'shared'`)
 * prefers `s-maxage` and treats `proxy-revalidate` as `must-revalidate` (§5.2.2.8, §5.2.2.10).
 */
import { type Directives, directiveSeconds, parseDirectives } from './directives.ts'
import { parseHttpDateStrict } from './dates.ts'

/** Header pairs as stored: `[name, value]`, names in any case, a name may repeat. */
export type HeaderList = ReadonlyArray<readonly [string, string]>

/** The timing facts freshness needs about one stored response (RFC 9111 §4.2.3). */
export interface StoredTiming {
  status: number
  headers: HeaderList
  /** When the request that produced the response was sent (epoch ms). */
  requestTime: number
  /** When the response was received (epoch ms). */
  responseTime: number
}

/**
 * A stored response as plain data (every backend round-trips it, docs/contract.md rule 12): what
 * the service worker and the server's shared mode both keep per variant, beside their own keys.
 */
export interface StoredMessage extends StoredTiming {
  statusText: string
  headers: Array<[string, string]>
  body: Uint8Array
}

/** Which cache is asking, and its heuristic. */
export interface FreshnessPolicy {
  /** A shared cache (RFC 9111 §1): `s-maxage`, `proxy-revalidate`, no `private`. Default false. */
  shared?: boolean
  /** Upper bound of a heuristic lifetime, in seconds. Default 86400 (one day; the RFC sets none). */
  heuristicCap?: number
  /** Fraction of `Date - Last-Modified` used as heuristic lifetime. Default 0.1 (RFC 9111 §4.2.2). */
  heuristicFraction?: number
}

/** Statuses that are "heuristically cacheable" (RFC 9110 §15.1). */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([
  200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
])

/** The value of header `name` (occurrences joined with `, `, as a list field), or `undefined`. */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase()
  let out: string | undefined
  for (const [k, v] of headers) {
    if (k.toLowerCase() === lower) out = out === undefined ? v : `${out}, ${v}`
  }
  return out
}

/** How many times header `name` occurs. */
function occurrences(headers: HeaderList, name: string): number {
  const lower = name.toLowerCase()
  let n = 0
  for (const [k] of headers) if (k.toLowerCase() === lower) n++
  return n
}

/** The response's `Cache-Control` directives (every occurrence of the field, RFC 9111 §5.2). */
export function responseDirectives(headers: HeaderList): Directives {
  return parseDirectives(headerValue(headers, 'cache-control'))
}

/**
 * The `Age` value (RFC 9111 §5.1): seconds, `undefined` when absent, or `NaN` when invalid (a
 * list, a second line, a sign, a fraction, a parameter). An invalid `Age` makes the response
 * stale here, as the cache-tests suite expects; §5.1 allows ignoring it, but a cache that ignores
 * an `Age` it cannot read may serve a response older than its lifetime.
 */
export function parseAge(headers: HeaderList): number | undefined {
  const n = occurrences(headers, 'age')
  if (n === 0) return undefined
  const v = (headerValue(headers, 'age') as string).trim()
  if (n > 1 || !/^\d+$/.test(v)) return Number.NaN
  return Math.min(Number(v), 2 ** 31)
}

/** The `Date` header as epoch ms, or the response time when absent or invalid (RFC 9110 §6.6.1). */
export function dateOf(t: StoredTiming): number {
  return parseHttpDateStrict(headerValue(t.headers, 'date')) ?? t.responseTime
}

/**
 * Freshness lifetime in seconds (RFC 9111 §4.2.1): `s-maxage` (shared caches only), else
 * `max-age`, else `Expires - Date`, else a heuristic where §4.2.2 allows one, else 0. A present
 * but malformed `max-age` / `s-maxage`, or an `Expires` that is not a date (§5.3), means stale.
 */
export function freshnessLifetime(t: StoredTiming, policy: FreshnessPolicy = {}): number {
  const cc = responseDirectives(t.headers)
  if (policy.shared && cc.has('s-maxage')) return directiveSeconds(cc, 's-maxage') ?? 0
  if (cc.has('max-age')) return directiveSeconds(cc, 'max-age') ?? 0
  const expiresRaw = headerValue(t.headers, 'expires')
  if (expiresRaw !== undefined) {
    // Two Expires lines, or one that is not a date ("0"), mean already expired (§4.2.1, §5.3).
    if (occurrences(t.headers, 'expires') > 1) return 0
    const expires = parseHttpDateStrict(expiresRaw)
    if (expires === undefined) return 0
    return Math.max(0, (expires - dateOf(t)) / 1000)
  }
  return heuristicLifetime(t, cc, policy)
}

/**
 * Heuristic freshness (RFC 9111 §4.2.2): only without explicit expiry, only for heuristically
 * cacheable statuses or `public` responses, and only with `Last-Modified`: a fraction of the time
 * since last modification, capped.
 */
export function heuristicLifetime(t: StoredTiming, cc: Directives, policy: FreshnessPolicy = {}): number {
  if (!HEURISTIC_STATUSES.has(t.status) && !cc.has('public')) return 0
  const lastModified = parseHttpDateStrict(headerValue(t.headers, 'last-modified'))
  if (lastModified === undefined) return 0
  const fraction = policy.heuristicFraction ?? 0.1
  const cap = policy.heuristicCap ?? 86_400
  return Math.min(cap, Math.max(0, ((dateOf(t) - lastModified) / 1000) * fraction))
}

/**
 * The response's current age in seconds at `now` (RFC 9111 §4.2.3): the corrected initial age
 * (the larger of the apparent age from `Date` and `Age` plus the request's round trip) plus the
 * time resident in the cache. `Infinity` when the `Age` is invalid (see `parseAge`).
 */
export function currentAge(t: StoredTiming, now: number): number {
  const ageValue = parseAge(t.headers) ?? 0
  if (Number.isNaN(ageValue)) return Number.POSITIVE_INFINITY
  const apparentAge = Math.max(0, t.responseTime - dateOf(t)) / 1000
  const responseDelay = Math.max(0, t.responseTime - t.requestTime) / 1000
  const correctedInitialAge = Math.max(apparentAge, ageValue + responseDelay)
  const residentTime = Math.max(0, now - t.responseTime) / 1000
  return correctedInitialAge + residentTime
}

/** How a stored response may be used for one request at one moment. */
export interface Evaluation {
  /** Age in seconds now (what the `Age` header says; `Infinity` for an unreadable `Age`). */
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
  /**
   * Stale use forbidden even when disconnected (`must-revalidate`, `no-cache`, and for a shared
   * cache `proxy-revalidate` and `s-maxage`; RFC 9111 §4.2.4, §5.2.2): the cache answers 504
   * when it cannot validate.
   */
  staleForbidden: boolean
  /** Epoch ms when it stops being fresh. */
  expiresAt: number
}

/**
 * Decide how a stored response serves a request carrying `requestCacheControl` (and `Pragma`)
 * at `now` (RFC 9111 §4.2, §4.3, §5.2.1; RFC 5861 for the stale windows; RFC 8246 `immutable`).
 */
export function evaluate(
  t: StoredTiming,
  now: number,
  requestCacheControl: string | null | undefined,
  requestPragma: string | null | undefined = undefined,
  policy: FreshnessPolicy = {},
): Evaluation {
  const cc = responseDirectives(t.headers)
  const req = parseDirectives(requestCacheControl)
  const age = currentAge(t, now)
  const lifetime = freshnessLifetime(t, policy)
  // A qualified `no-cache="field"` allows reuse without validation, minus those fields (§5.2.2.4).
  const noCache = cc.get('no-cache') === true
  const staleForbidden =
    cc.has('must-revalidate') ||
    noCache ||
    (policy.shared === true && (cc.has('proxy-revalidate') || cc.has('s-maxage')))
  // Pragma: no-cache counts only when the request has no Cache-Control (RFC 9111 §5.4).
  const reqNoCache =
    req.has('no-cache') || (req.size === 0 && /(^|,)\s*no-cache\s*(,|$)/i.test(requestPragma ?? ''))
  const mustValidate = noCache || reqNoCache

  let fresh = age < lifetime
  const reqMaxAge = directiveSeconds(req, 'max-age')
  // `max-age=0` asks for validation (what browsers send on reload), even at an age of exactly 0.
  if (reqMaxAge !== undefined && (age > reqMaxAge || reqMaxAge === 0)) fresh = false
  const minFresh = directiveSeconds(req, 'min-fresh')
  if (minFresh !== undefined && lifetime - age < minFresh) fresh = false
  if (!fresh && !staleForbidden && req.has('max-stale')) {
    // A bare max-stale accepts any staleness; with a value, only that much (§5.2.1.2).
    const maxStale = directiveSeconds(req, 'max-stale')
    if (maxStale === undefined || age - lifetime <= maxStale) fresh = true
  }

  const staleness = age - lifetime
  const swr = directiveSeconds(cc, 'stale-while-revalidate')
  const sie = directiveSeconds(cc, 'stale-if-error')
  const reqSie = directiveSeconds(req, 'stale-if-error')
  const inWindow = (w: number | undefined): boolean => w !== undefined && staleness <= w
  return {
    age,
    lifetime,
    fresh: fresh && !mustValidate,
    mustValidate,
    staleWhileRevalidate: !fresh && !mustValidate && !staleForbidden && inWindow(swr),
    staleIfError: !mustValidate && !staleForbidden && (inWindow(sie) || inWindow(reqSie)),
    staleForbidden,
    expiresAt: Number.isFinite(age)
      ? t.responseTime + (lifetime - (age - Math.max(0, now - t.responseTime) / 1000)) * 1000
      : t.responseTime,
  }
}
