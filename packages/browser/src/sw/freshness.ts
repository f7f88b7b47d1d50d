/**
 * The worker's cache policy, a **private** cache: core's RFC 9111 toolkit (`rfc9111` in
 * `@cachework/core/http`, shared with the server's `mode: 'shared'`) called with the private
 * policy. Nothing HTTP is parsed here: Cache-Control, dates, age, validation and Vary are the
 * toolkit's (use `rfc9111.parseDirectives`, `rfc9111.parseHttpDateStrict`, … directly). This is
 * not Django's middleware policy (which refuses `private` and `no-cache`); a browser-side cache
 * is exactly the private cache the RFC describes.
 */
import { rfc9111 } from '@cachework/core/http'

/** Header pairs as stored: `[name, value]`, names in any case. */
export type HeaderList = rfc9111.HeaderList

/** Parsed `Cache-Control`: lower-cased directive name → argument (`true` when it has none). */
export type Directives = rfc9111.Directives

/** The timing facts freshness needs about one stored response (RFC 9111 §4.2.3). */
export type StoredTiming = rfc9111.StoredTiming

/** How a stored response may be used for a request at one moment (see core's `rfc9111.Evaluation`). */
export type Evaluation = rfc9111.Evaluation

/** Options of the freshness policy. */
export interface FreshnessOptions {
  /** Upper bound of a heuristic lifetime, in seconds. Default 86400 (one day, as Firefox's is a week and the RFC sets none). */
  heuristicCap?: number
  /** Fraction of `Date - Last-Modified` used as heuristic lifetime. Default 0.1 (RFC 9111 §4.2.2). */
  heuristicFraction?: number
}

const privatePolicy = (opts: FreshnessOptions): rfc9111.FreshnessPolicy => ({ ...opts, shared: false })

/** Freshness lifetime in seconds (RFC 9111 §4.2.1) for a private cache: `s-maxage` is ignored. */
export function freshnessLifetime(t: StoredTiming, opts: FreshnessOptions = {}): number {
  return rfc9111.freshnessLifetime(t, privatePolicy(opts))
}

/** Heuristic freshness (RFC 9111 §4.2.2). */
export function heuristicLifetime(t: StoredTiming, cc: Directives, opts: FreshnessOptions = {}): number {
  return rfc9111.heuristicLifetime(t, cc, privatePolicy(opts))
}

/** Decide how a stored response serves a request at `now` (core's `rfc9111.evaluate`, private policy). */
export function evaluate(
  t: StoredTiming,
  now: number,
  requestCacheControl: string | null | undefined,
  requestPragma: string | null | undefined = undefined,
  opts: FreshnessOptions = {},
): Evaluation {
  return rfc9111.evaluate(t, now, requestCacheControl, requestPragma, privatePolicy(opts))
}

/** Whether a response to a GET may be stored by a private cache (RFC 9111 §3). */
export function isStorable(
  status: number,
  headers: HeaderList,
  requestCacheControl?: string | null,
): boolean {
  return rfc9111.isStorable(status, headers, { cacheControl: requestCacheControl }, { shared: false })
}
