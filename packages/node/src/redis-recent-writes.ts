/**
 * Read-your-writes with replicas (docs/contract.md rule 19): for `readYourWritesMs` after this
 * process wrote a key (or cleared the cache), reads of it go to the primary, so a `set` then a
 * `get` never asks a replica that has not caught up. Django 6.1 always reads a random replica
 * (django/core/cache/backends/redis.py `_get_connection_pool`) and can miss its own write.
 */

/** Bounded memory: past this many keys, the expired (or the oldest half) are dropped. */
const MAX_TRACKED = 10_000

/** Keys this process wrote lately, and until when (ms) their reads stay on the primary. */
export class RecentWrites {
  private readonly until = new Map<string, number>()
  /** Until when (ms) every read goes to the primary (after `clear()`). */
  private allUntil = 0

  constructor(private readonly ms: number) {}

  /** Remember that `key` was written now. */
  note(key: string): void {
    if (this.ms <= 0) return
    const now = Date.now()
    this.until.delete(key)
    this.until.set(key, now + this.ms)
    if (this.until.size > MAX_TRACKED) {
      // Oldest first (Map keeps insertion order): drop what has run out, or the oldest half.
      let drop = this.until.size / 2
      for (const [k, t] of this.until) {
        if (t > now && drop <= 0) break
        this.until.delete(k)
        drop--
      }
    }
  }

  /** Every key was written now (`clear()`). */
  noteAll(): void {
    if (this.ms > 0) this.allUntil = Date.now() + this.ms
  }

  /** Whether a read of `keys` must go to the primary. */
  pinned(keys: readonly string[]): boolean {
    if (this.until.size === 0 && this.allUntil === 0) return false
    const now = Date.now()
    if (this.allUntil > now) return true
    for (const k of keys) {
      const t = this.until.get(k)
      if (t !== undefined && t > now) return true
    }
    return false
  }

  /** Forget everything (the connections closed). */
  clear(): void {
    this.until.clear()
    this.allUntil = 0
  }
}
