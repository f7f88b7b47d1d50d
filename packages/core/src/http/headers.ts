/**
 * Response header helpers: Django 6.1's `patch_response_headers`, `add_never_cache_headers`,
 * `patch_vary_headers` and `has_vary_header` (django/utils/cache.py), plus HTTP dates.
 */
import { type HeadersTarget, headersOf, patchCacheControl, splitHeaderValue } from './cache-control.ts'

/** Django's `CACHE_MIDDLEWARE_SECONDS` default: 600. */
export const DEFAULT_CACHE_SECONDS = 600

/** An IMF-fixdate (`Mon, 01 Jan 2007 01:55:21 GMT`) for epoch milliseconds (RFC 9110 §5.6.7). */
export function httpDate(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toUTCString()
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const IMF = /^\w{3}, (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850 = /^\w{6,9}, (\d{2})-(\w{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME = /^\w{3} (\w{3}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

/**
 * Parse an HTTP date in any of the three formats of RFC 9110 §5.6.7 into epoch milliseconds,
 * or `undefined` when it is not one (Django's `parse_http_date_safe`).
 */
export function parseHttpDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined
  const s = value.trim()
  // [day, month, year, hour, minute, second]
  let parts: [string, string, number, string, string, string] | undefined
  let m = IMF.exec(s)
  if (m) parts = [m[1], m[2], Number(m[3]), m[4], m[5], m[6]] as typeof parts
  else if ((m = RFC850.exec(s))) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const current = new Date().getUTCFullYear()
    let year = Math.floor(current / 100) * 100 + Number(m[3])
    if (year > current + 50) year -= 100
    parts = [m[1], m[2], year, m[4], m[5], m[6]] as typeof parts
  } else if ((m = ASCTIME.exec(s))) parts = [m[2], m[1], Number(m[6]), m[3], m[4], m[5]] as typeof parts
  if (!parts) return undefined
  const [day, mon, year, hh, mm, ss] = parts
  const month = MONTHS.indexOf(mon.toLowerCase())
  if (month === -1) return undefined
  const t = Date.UTC(year, month, Number(day.trim()), Number(hh), Number(mm), Number(ss))
  return Number.isNaN(t) ? undefined : t
}

/**
 * Add `Expires` (when absent) and `Cache-Control: max-age` (the smaller of any existing one and
 * `cacheTimeout` wins) as Django's `patch_response_headers`; `cacheTimeout` defaults to 600
 * seconds and a negative one counts as 0. `now` (epoch ms) defaults to `Date.now()`.
 */
export function patchResponseHeaders(
  target: HeadersTarget,
  cacheTimeout: number = DEFAULT_CACHE_SECONDS,
  now: number = Date.now(),
): void {
  const headers = headersOf(target)
  const timeout = Math.max(0, cacheTimeout)
  if (!headers.has('expires')) headers.set('expires', httpDate(now + timeout * 1000))
  patchCacheControl(headers, { maxAge: timeout })
}

/**
 * Mark a response as never cacheable: `Expires` now (when absent) and
 * `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private` (Django 3.0+).
 */
export function addNeverCacheHeaders(target: HeadersTarget, now: number = Date.now()): void {
  patchResponseHeaders(target, -1, now)
  patchCacheControl(target, { noCache: true, noStore: true, mustRevalidate: true, private: true })
}

/**
 * Add header names to `Vary` as Django 6.1's `patch_vary_headers`: names already present in
 * any case are not repeated, existing order and case are kept, and a `*` makes it exactly `*`.
 */
export function patchVaryHeaders(target: HeadersTarget, newHeaders: Iterable<string>): void {
  const headers = headersOf(target)
  const parts = splitHeaderValue(headers.get('vary'))
  const existing = new Set(parts.map((p) => p.toLowerCase()))
  for (const raw of newHeaders) {
    const h = raw.trim()
    if (!existing.has(h.toLowerCase())) parts.push(h)
  }
  headers.set('vary', parts.includes('*') ? '*' : parts.join(', '))
}

/** Whether `Vary` names `header` (case-insensitive), as Django's `has_vary_header`. */
export function hasVaryHeader(target: HeadersTarget, header: string): boolean {
  const value = headersOf(target).get('vary')
  if (value === null) return false
  const want = header.trim().toLowerCase()
  return splitHeaderValue(value).some((p) => p.toLowerCase() === want)
}
