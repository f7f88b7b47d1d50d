/**
 * Making and validating keys for one cache (docs/contract.md rules 1 and 2; Django's
 * `make_and_validate_key` in django/core/cache/backends/base.py): the made key of every
 * operation is validated, a key memcached could not take warns (`CacheKeyWarning`), and made
 * keys of the default version are memoised.
 */
import { CACHE_KEY_WARNING, InvalidCacheKey } from './errors.ts'
import { hasBadKeyChar, MEMCACHE_MAX_KEY_LENGTH, memcacheKeyWarnings } from './keys.ts'

/** The fewest made keys a memo remembers before starting over. */
const KEY_MEMO_FLOOR = 4096

/**
 * The made keys of one cache's default version. Its bound follows the cache's own: twice
 * `maxEntries` (at least 4,096), so every working set the store can hold fits in the memo and a
 * larger store never falls off the fast path (a 4,096-key memo cleared when full cost a locmem
 * hit ~2× at 10,000 keys). A miss costs one failed lookup and one insert.
 */
export class KeyMemo {
  readonly map = new Map<string, string>()
  limit = KEY_MEMO_FLOOR

  /** Size the memo for a store holding up to `maxEntries` entries. */
  sizeFor(maxEntries: number): void {
    this.limit = Math.max(KEY_MEMO_FLOOR, 2 * maxEntries)
  }
}

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

/** What key making needs from a cache: its default version and its two key methods. */
export interface KeyMakingHost {
  readonly version: number
  makeKey(key: string, version?: number): string
  validateKey(rawKey: string): void
}

/**
 * `makeKey` then `validateKey` (Django's `make_and_validate_key`). With a `memo`, made keys of
 * the default version are remembered: a repeated key skips building a new string, and the
 * memoised one keeps its hash, so the store's Map lookup is cheaper too. Only keys that pass the
 * base validation silently are kept, so a bad key still warns on every use (Django warns per
 * call). Pass no memo when `validateKey` is overridden, so the override runs every time.
 */
export function makeAndValidateKey(
  host: KeyMakingHost,
  memo: KeyMemo | undefined,
  key: string,
  version?: number,
): string {
  const defaultVersion = version === undefined || version === host.version
  if (defaultVersion) {
    const hit = memo?.map.get(key)
    if (hit !== undefined) return hit
  }
  if (typeof key !== 'string') {
    throw new InvalidCacheKey(`Cache keys must be strings, got ${typeof key}`)
  }
  if (version !== undefined && !Number.isSafeInteger(version)) {
    throw new TypeError(
      `A cache key version must be an integer, got ${typeof version === 'string' ? JSON.stringify(version) : String(version)}`,
    )
  }
  const raw = host.makeKey(key, version)
  // A lone surrogate cannot be stored as UTF-8 (files, SQLite, memcached), so such a key would
  // be written and never found again: every backend rejects it alike (docs/contract.md rule 2).
  if (LONE_SURROGATE.test(raw)) {
    throw new InvalidCacheKey(
      `Cache key ${JSON.stringify(raw)} holds a lone surrogate (not well-formed Unicode)`,
    )
  }
  host.validateKey(raw)
  if (defaultVersion && memo !== undefined && raw.length <= MEMCACHE_MAX_KEY_LENGTH && !hasBadKeyChar(raw)) {
    if (memo.map.size >= memo.limit) memo.map.clear()
    memo.map.set(key, raw)
  }
  return raw
}
