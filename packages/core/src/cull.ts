/**
 * Culling (docs/contract.md rule 11), shared by every backend that culls (locmem, db, file,
 * indexeddb, localforage): the policy of Django's `_cull` (django/core/cache/backends/locmem.py,
 * db.py, filebased.py) over storage that a backend describes as a `CullableStore`.
 */
import type { Clock } from './clock.ts'
import type { EventReporter } from './event-reporter.ts'

/** The storage a backend hands to `BaseCache.cullBeforeInsert` (rule 11). */
export interface CullableStore {
  /** How many entries are stored, expired ones included. */
  size(): number | Promise<number>
  /** Remove expired entries; call `onRemoved` per key when given; return how many went. */
  removeExpired(now: number, onRemoved?: (rawKey: string) => void): number | Promise<number>
  /** Remove `n` entries in the backend's cull order (LRU or soonest-to-expire). */
  removeSome(n: number, onRemoved?: (rawKey: string) => void): number | Promise<number>
  /** Remove every entry (cullFrequency 0). */
  removeAll(): number | Promise<number>
}

/** The alias's culling settings (`options.maxEntries`, default 300; `options.cullFrequency`, default 3). */
export interface CullPolicy {
  readonly maxEntries: number
  readonly cullFrequency: number
}

/**
 * Call before storing a key that is not already live. Removes expired entries, then, if the
 * store is still at or over `maxEntries`, `floor(count / cullFrequency)` entries (at least one,
 * so a huge cullFrequency cannot let the store grow without bound), or all when it is 0.
 * Removals are counted and reported through `report` (`expire`, `evict`).
 */
export async function cullBeforeInsert(
  store: CullableStore,
  policy: CullPolicy,
  clock: Clock,
  report: EventReporter,
): Promise<void> {
  let n = await store.size()
  if (n < policy.maxEntries) return
  const onExpired = report.active ? (k: string) => report.raw('expire', k) : undefined
  const expired = await store.removeExpired(clock.now(), onExpired)
  report.counters.expirations += expired
  n -= expired
  if (n < policy.maxEntries) return
  if (policy.cullFrequency === 0) {
    report.counters.evictions += await store.removeAll()
    if (report.active) report.whole('evict')
    return
  }
  const onEvicted = report.active ? (k: string) => report.raw('evict', k) : undefined
  report.counters.evictions += await store.removeSome(
    Math.max(1, Math.floor(n / policy.cullFrequency)),
    onEvicted,
  )
}
