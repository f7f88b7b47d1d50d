/**
 * Whether a response may be stored (RFC 9111 §3), for a private or a shared cache.
 */
import { directiveSeconds, parseDirectives } from './directives.ts'
import {
  type FreshnessPolicy,
  HEURISTIC_STATUSES,
  type HeaderList,
  headerValue,
  responseDirectives,
} from './freshness.ts'

/** What `isStorable` needs to know about the request. */
export interface StorableRequest {
  /** Its `Cache-Control`. */
  cacheControl?: string | null
  /** Whether it carried `Authorization` (RFC 9111 §3.5). */
  authorization?: boolean
}

/** Statuses a cache understands (RFC 9111 §3: "the response status code is final" and understood). */
function understood(status: number): boolean {
  return (
    (status >= 200 && status <= 206) || (status >= 300 && status <= 308) || (status >= 400 && status <= 505)
  )
}

/**
 * Whether a response to a GET may be stored (RFC 9111 §3): not `no-store` on either side, not
 * `Vary: *`, not a partial or 304 response, not `private` in a shared cache, for a shared cache
 * not a response to an authorized request unless `public`, `must-revalidate` or `s-maxage`
 * allow it (§3.5), a status the cache understands (or `must-understand` is absent and it is
 * final), and with explicit freshness, `no-cache`, `public`/`private`, or a heuristically
 * cacheable status.
 */
export function isStorable(
  status: number,
  headers: HeaderList,
  request: StorableRequest = {},
  policy: FreshnessPolicy = {},
): boolean {
  if (status < 200 || status === 206 || status === 304 || status >= 600) return false
  if (parseDirectives(request.cacheControl).has('no-store')) return false
  const cc = responseDirectives(headers)
  // must-understand (§5.2.2.3): store only statuses whose caching rules we know, then no-store is moot.
  if (cc.has('must-understand')) {
    if (!understood(status)) return false
  } else if (cc.has('no-store')) return false
  if (policy.shared) {
    if (cc.has('private')) return false
    if (request.authorization && !cc.has('public') && !cc.has('must-revalidate') && !cc.has('s-maxage'))
      return false
  }
  const vary = headerValue(headers, 'vary') ?? ''
  if (vary.split(',').some((s) => s.trim() === '*')) return false
  return (
    directiveSeconds(cc, 'max-age') !== undefined ||
    cc.has('max-age') ||
    (policy.shared === true && cc.has('s-maxage')) ||
    cc.has('public') ||
    (!policy.shared && cc.has('private')) ||
    cc.has('no-cache') ||
    headerValue(headers, 'expires') !== undefined ||
    HEURISTIC_STATUSES.has(status)
  )
}
