/**
 * Response header helpers: Django 6.1's `patch_response_headers`, `add_never_cache_headers`,
 * `patch_vary_headers` and `has_vary_header` (django/utils/cache.py), plus HTTP dates.
 */
import { type HeadersTarget, headersOf, patchCacheControl, splitHeaderValue } from './cache-control.ts'
import { parseHttpDateStrict } from './rfc9111/dates.ts'

/** Django's `CACHE_MIDDLEWARE_SECONDS` default: 600. */
export const DEFAULT_CACHE_SECONDS = 600

/** An IMF-fixdate (`Mon, 01 Jan 2007 01:55:21 GMT`) for epoch milliseconds (RFC 9110 §5.6.7). */
export function httpDate(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toUTCString()
}

/**
 * Parse an HTTP date in any of the three formats of RFC 9110 §5.6.7 into epoch milliseconds,
 * or `undefined` when it is not one (Django's `parse_http_date_safe`): the RFC 9111 toolkit's
 * parser read the way `django/utils/http.py` reads dates.
 */
export function parseHttpDate(value: string | null | undefined): number | undefined {
  return parseHttpDateStrict(value, { django: true })
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
