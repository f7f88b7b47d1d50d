/**
 * Making and validating keys for one cache (docs/contract.md rules 1 and 2; Django's
 * `make_and_validate_key` in django/core/cache/backends/base.py): the made key of every
 * operation is validated, and a key memcached could not take warns (`CacheKeyWarning`). No memo:
 * one character loop over the made key decides whether the exact checks must run, so a working
 * set of any size costs the same per key.
 */
import { CACHE_KEY_WARNING, InvalidCacheKey } from './errors.ts'
import { hasBadKeyChar, MEMCACHE_MAX_KEY_LENGTH, memcacheKeyWarnings } from './keys.ts'

/** Emit a `CacheKeyWarning`: `process.emitWarning` where it exists, `console.warn` otherwise. */
export const emitKeyWarning: (message: string) => void = (() => {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, n: string) => void } }).process
  if (proc && typeof proc.emitWarning === 'function') {
    return (m: string) => proc.emitWarning?.(m, CACHE_KEY_WARNING)
  }
  return (m: string) => console.warn(`${CACHE_KEY_WARNING}: ${m}`)
})()

/** Where a cache's `warning` events go (its `EventReporter`). */
export interface KeyWarningSink {
  warning(rawKey: string, message: string): void
}

/**
 * Rule 2's default check: warn for a made key longer than 250 characters or holding a control
 * character or space, and tell `sink` per message (the cache's `warning` event).
 */
export function warnOnBadKey(rawKey: string, sink?: KeyWarningSink): void {
  // Fast path: most keys are short and clean.
  if (rawKey.length <= MEMCACHE_MAX_KEY_LENGTH && !hasBadKeyChar(rawKey)) return
  for (const message of memcacheKeyWarnings(rawKey)) {
    emitKeyWarning(message)
    sink?.warning(rawKey, message)
  }
}

// An unpaired UTF-16 surrogate (String.prototype.isWellFormed, without needing ES2024 types).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Whether a made key needs the exact checks: longer than 250 UTF-16 units, or holding a C0
 * control character, a space, DEL (what `hasBadKeyChar` looks for) or any surrogate. False for
 * the usual short printable key, which then needs nothing more.
 */
function suspicious(rawKey: string): boolean {
  return rawKey.length > MEMCACHE_MAX_KEY_LENGTH || !plainKeyChars(rawKey)
}

// The characters `plainKeyChars` refuses, as UTF-16 code units (no `u` flag): C0 controls and
// space, DEL, any surrogate.
const NOT_PLAIN = /[\x00-\x20\x7f\ud800-\udfff]/

/**
 * True when `s` holds no C0 control character, space, DEL or surrogate: the characters
 * `suspicious` sends to the exact checks. A made key whose parts all pass (and whose length is
 * at most 250) needs nothing more.
 */
export function plainKeyChars(s: string): boolean {
  // Past 8 characters one regex test beats the loop (callgrind, per key: 22 characters 819-911
  // instructions by the loop, 538-549 by the regex; 6 characters 245 vs 287).
  if (s.length > 8) return !NOT_PLAIN.test(s)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // Printable ASCII (0x21-0x7e) passes on one unsigned compare; only other characters pay the
    // three tests (callgrind, 100 keys of 6-7 characters: 40,700 -> 37,450 instructions).
    if ((c - 0x21) >>> 0 >= 0x5e && (c <= 0x20 || c === 0x7f || (c & 0xf800) === 0xd800)) return false
  }
  return true
}

/** What key making needs from a cache: its default version and its two key methods. */
export interface KeyMakingHost {
  readonly version: number
  makeKey(key: string, version?: number): string
  validateKey(rawKey: string): void
}

/**
 * `makeKey` then `validateKey` (Django's `make_and_validate_key`). With `plainValidation` (the
 * host's `validateKey` is the base one, `warnOnBadKey`), a key the one loop finds clean skips
 * the call: it could only have passed silently. Otherwise, and for every suspicious key, the
 * exact checks run on every call, so a bad key warns each time (Django warns per call).
 */
export function makeAndValidateKey(
  host: KeyMakingHost,
  plainValidation: boolean,
  key: string,
  version?: number,
): string {
  if (typeof key !== 'string') {
    throw new InvalidCacheKey(`Cache keys must be strings, got ${typeof key}`)
  }
  if (version !== undefined && !Number.isSafeInteger(version)) {
    throw new TypeError(
      `A cache key version must be an integer, got ${typeof version === 'string' ? JSON.stringify(version) : String(version)}`,
    )
  }
  const raw = host.makeKey(key, version)
  if (!suspicious(raw)) {
    if (!plainValidation) host.validateKey(raw)
    return raw
  }
  // A lone surrogate cannot be stored as UTF-8 (files, SQLite, memcached), so such a key would
  // be written and never found again: every backend rejects it alike (docs/contract.md rule 2).
  // A proper pair is fine.
  if (LONE_SURROGATE.test(raw)) {
    throw new InvalidCacheKey(
      `Cache key ${JSON.stringify(raw)} holds a lone surrogate (not well-formed Unicode)`,
    )
  }
  host.validateKey(raw)
  return raw
}
