/** Keying (docs/contract.md rule 1; django/core/cache/backends/base.py). */

/** A key function: `(key, keyPrefix, version) => rawKey`. */
export type KeyFunction = (key: string, keyPrefix: string, version: number) => string

/** Django's `default_key_func`: `` `${prefix}:${version}:${key}` ``. */
export const defaultKeyFunction: KeyFunction = (key, keyPrefix, version) => `${keyPrefix}:${version}:${key}`

/** Memcached's key length limit (django/core/cache/backends/base.py `MEMCACHE_MAX_KEY_LENGTH`). */
export const MEMCACHE_MAX_KEY_LENGTH = 250

// C0 controls, space and DEL, as Django's `memcache_key_warnings` (§1.4). Non-ASCII is fine.
const BAD_KEY_CHARS = /[\x00-\x20\x7f]/

const NONE: readonly string[] = Object.freeze([])

/** Whether a key has a C0 control character, a space or DEL (a loop: cheaper than a regex). */
export function hasBadKeyChar(rawKey: string): boolean {
  for (let i = 0; i < rawKey.length; i++) {
    const c = rawKey.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * The warnings Django's `memcache_key_warnings` yields for a made key, in its order: length in
 * code points over 250, then a control character or space (at most one message each).
 */
export function memcacheKeyWarnings(rawKey: string): readonly string[] {
  if (rawKey.length <= MEMCACHE_MAX_KEY_LENGTH && !hasBadKeyChar(rawKey)) return NONE
  const out: string[] = []
  // Django counts Python code points, not UTF-16 units; the fast path avoids the spread.
  if (rawKey.length > MEMCACHE_MAX_KEY_LENGTH && [...rawKey].length > MEMCACHE_MAX_KEY_LENGTH) {
    out.push(
      `Cache key will cause errors if used with memcached: '${rawKey}' (longer than ${MEMCACHE_MAX_KEY_LENGTH})`,
    )
  }
  if (BAD_KEY_CHARS.test(rawKey)) {
    out.push(`Cache key contains characters that will cause errors if used with memcached: '${rawKey}'`)
  }
  return out
}

/**
 * Parse a raw key made by `defaultKeyFunction` back into `{ key, version }` for a known prefix;
 * `undefined` when it does not have that shape.
 */
export function parseDefaultKey(
  rawKey: string,
  keyPrefix: string,
): { key: string; version: number } | undefined {
  if (!rawKey.startsWith(`${keyPrefix}:`)) return undefined
  const rest = rawKey.slice(keyPrefix.length + 1)
  const colon = rest.indexOf(':')
  if (colon <= 0) return undefined
  const v = rest.slice(0, colon)
  if (!/^-?\d+$/.test(v)) return undefined
  return { key: rest.slice(colon + 1), version: Number(v) }
}
