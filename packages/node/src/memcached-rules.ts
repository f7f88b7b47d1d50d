/**
 * The rules Django's memcached backends apply before a command is sent
 * (django/core/cache/backends/memcached.py): which made keys memcached can take (docs/contract.md
 * rule 2) and how a timeout becomes memcached's `exptime` (rule 3), plus the `retryMs` option check.
 */
import { InvalidCacheKey } from '@cachework/core'

/** memcached's relative-expiry limit: larger values are absolute unix times
 * (memcached's doc/protocol.txt; Django's django/core/cache/backends/memcached.py). */
const THIRTY_DAYS = 2592000
/** The latest absolute exptime memcached can hold (2³¹ − 1, January 2038). */
const MAX_EXPTIME = 0x7fffffff
/** What `exptime` says when the entry must not be stored at all (Django maps 0 → -1). */
export const EXPIRED = -1

/** The problem with a `retryMs` option, or `undefined` when it is fine. */
export function needsRetryMs(options: Record<string, unknown>): string | undefined {
  const r = options.retryMs
  if (r !== undefined && (typeof r !== 'number' || !(r >= 0)))
    return `retryMs must be a number >= 0, got ${String(r)}`
  return undefined
}

/**
 * memcached rejects keys over 250 bytes or with control characters or spaces, so this backend
 * raises `InvalidCacheKey` (as Django's memcached backends do) on every operation, reads included.
 */
export function checkMemcachedKey(rawKey: string): void {
  let ascii = true
  for (let i = 0; i < rawKey.length; i++) {
    const c = rawKey.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) {
      throw new InvalidCacheKey(
        `Cache key contains characters that will cause errors if used with memcached: ${JSON.stringify(rawKey)}`,
      )
    }
    if (c > 0x7f) ascii = false
  }
  if (rawKey.length > 250 || (!ascii && Buffer.byteLength(rawKey) > 250)) {
    throw new InvalidCacheKey(
      `Cache key will cause errors if used with memcached: ${JSON.stringify(rawKey)} (longer than 250 bytes); use a shorter key or hash it`,
    )
  }
}

/**
 * Django's `BaseMemcachedCache.get_backend_timeout`
 * (django/core/cache/backends/memcached.py): never → 0; a whole number
 * of seconds, rounded up here where Django truncates (under a second is already expired there); over 30 days →
 * an absolute unix time. One departure: memcached's clock ticks in whole seconds, so a relative
 * exptime `n` lives between n-1 and n seconds (`timeout=1` can vanish at once under Django);
 * cachework sends `n + 1`, so an entry lives at least its timeout and at most a second more.
 */
export function exptimeFor(expiresAt: number | null, now: number): number {
  if (expiresAt === null) return 0
  const ms = expiresAt - now
  if (!(ms > 0)) return EXPIRED
  // Fractions round up (rule 3: a 0.5 s timeout is readable for half a second, not gone at
  // once as memcached's whole-second clock would make it).
  const secs = Math.ceil(ms / 1000)
  if (secs + 1 <= THIRTY_DAYS) return secs + 1
  const absolute = secs + Math.floor(now / 1000)
  // memcached reads exptime as a signed 32-bit number (doc/protocol.txt); a later time would
  // wrap to the past and expire at once, so anything past 2038 is stored without expiry.
  return absolute > MAX_EXPTIME ? 0 : absolute
}
