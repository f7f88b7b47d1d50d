/**
 * Tag invalidation (docs/contract.md rule 17): a version counter per tag, kept in the same store
 * as the entries, and a snapshot of those versions inside each tagged entry's envelope. A read
 * compares the snapshot with the counters; `invalidateTags` bumps the counters with the store's
 * atomic `incr`, so invalidating costs one round trip whatever the number of entries, and no
 * key is ever scanned (the design of cacheable's CacheTags and Symfony's TagAwareAdapter, with
 * an atomic bump and a fail-safe counter).
 *
 * A missing counter is created with an unpredictable value (`add`, so concurrent creators agree),
 * never with 0 or a timestamp: when the store evicts a counter, every snapshot taken from it
 * mismatches whatever value comes next, so its entries miss instead of coming back to life.
 *
 * Soft invalidation (`expireTags`, rule 17): the counter moves by 1 instead of `HARD_STEP`, and
 * `cachework.tagexp:<tag>` records when. An entry whose counters moved by less than `HARD_STEP`
 * in total is stale, not gone: `get` and `has` miss it, while `getOrSet` with
 * `staleWhileRevalidate` / `staleIfError` may still serve it, counting its stale windows from that
 * time, as after `expire()` (rule 16). Any hard move, a missing counter or a missing time makes it
 * gone, as before.
 */
import { KeyNotFoundError } from './errors.ts'

/** The caller-level key prefix of tag counters; `entries()` never lists keys under it. */
export const TAG_KEY_PREFIX = 'cachework.tag:'

/** The caller-level key prefix of the time of each tag's last `expireTags` (epoch ms). */
export const TAG_EXPIRED_PREFIX = 'cachework.tagexp:'

/**
 * How far `invalidateTags` moves a counter (`expireTags` moves it by 1): 2^20, so 2^20 soft
 * expiries in a row still read as soft, and 2^32 hard ones fit under 2^53 after a fresh value.
 */
export const HARD_STEP = 2 ** 20

/** What the counters say of an entry's snapshot: unchanged, soft-expired, or invalidated. */
export type TagVerdict = 'fresh' | 'stale' | 'gone'

/** A verdict with the tags that were soft-expired (to find since when). */
export interface TagJudgement {
  verdict: TagVerdict
  staleTags: string[]
}

/** Longest tag accepted, in characters (its counter key must fit memcached's 250 bytes). */
export const MAX_TAG_LENGTH = 128

/** Options that carry tags (`set`, `add`, `getOrSet`, `setMany`). */
export interface TagOpts {
  /** Tags of the entry; `invalidateTags` with any of them makes it miss. Default none. */
  tags?: Iterable<string>
}

/**
 * The tag versions an entry was written under: tag → counter value. It travels in the entry
 * envelope's `tags` field (envelope.ts), which also accepts strings (another writer's format).
 */
export type TagSnapshot = Record<string, number>

/** A snapshot as read back from an envelope. */
type StoredSnapshot = Record<string, number | string>

/**
 * Check and normalise a tag list: strings of 1 to `MAX_TAG_LENGTH` characters with no
 * whitespace or control characters (tags travel space-separated in `Surrogate-Key` headers),
 * deduplicated and sorted. Throws `TypeError` for a bad tag.
 */
export function normalizeTags(tags: Iterable<string> | undefined): string[] {
  if (tags === undefined) return []
  if (typeof tags === 'string') throw new TypeError('tags must be an iterable of strings, not a string')
  const out = new Set<string>()
  for (const t of tags) {
    if (typeof t !== 'string' || t.length === 0 || t.length > MAX_TAG_LENGTH) {
      throw new TypeError(`A tag must be a string of 1 to ${MAX_TAG_LENGTH} characters, got ${String(t)}`)
    }
    if (/[\s\x00-\x1f\x7f]/.test(t))
      throw new TypeError(`A tag cannot hold whitespace or control characters: '${t}'`)
    out.add(t)
  }
  return [...out].sort()
}

/**
 * A fresh counter value: a random integer in [1, 2^52], so `incr` has 2^52 steps of headroom
 * under `Number.MAX_SAFE_INTEGER` and two creations of one counter practically never agree.
 */
export function freshTagVersion(): number {
  const words = new Uint32Array(2)
  globalThis.crypto.getRandomValues(words)
  return ((words[0] as number) & 0xfffff) * 2 ** 32 + (words[1] as number) + 1
}

/** The storage a `TagIndex` works on: the backend's primitives on raw keys. */
export interface TagStore {
  /** The raw key of a caller-level key at the alias's default version. */
  rawKeyOf(key: string): string
  /** Live values among `rawKeys`, in one round trip where the backend allows. */
  getMany(rawKeys: string[]): Promise<Map<string, unknown>>
  /** Store only when missing; never expires. */
  add(rawKey: string, value: number): Promise<boolean>
  /** Store; never expires. */
  set(rawKey: string, value: number): Promise<boolean>
  /** Atomic add; rejects `KeyNotFoundError` when missing. */
  incr(rawKey: string, delta: number): Promise<number>
}

function asVersion(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  return undefined
}

/** Tag counters of one cache: reading snapshots, checking them, bumping them. */
export class TagIndex {
  constructor(private readonly store: TagStore) {}

  /** The raw key of `tag`'s counter. */
  counterKey(tag: string): string {
    return this.store.rawKeyOf(TAG_KEY_PREFIX + tag)
  }

  /** The raw counter keys of `tags`, in the same order. */
  counterKeys(tags: readonly string[]): string[] {
    return tags.map((t) => this.counterKey(t))
  }

  /**
   * The current versions of `tags`, creating missing counters (with a fresh random value, by
   * `add`, so concurrent creators agree). `known` holds counter values already fetched (raw key
   * → value) in the same round trip as an entry. Read before computing a value, so an
   * invalidation during the computation makes the stored value miss (rule 17).
   */
  async snapshot(tags: readonly string[], known?: Map<string, unknown>): Promise<TagSnapshot> {
    const out: TagSnapshot = {}
    if (tags.length === 0) return out
    const raws = this.counterKeys(tags)
    const need = known ? raws.filter((r) => !known.has(r)) : raws
    const got = need.length ? await this.store.getMany(need) : new Map<string, unknown>()
    const missing: number[] = []
    tags.forEach((t, i) => {
      const raw = raws[i] as string
      const v = asVersion(known?.get(raw) ?? got.get(raw))
      if (v === undefined) missing.push(i)
      else out[t] = v
    })
    await Promise.all(
      missing.map(async (i) => {
        const tag = tags[i] as string
        const raw = raws[i] as string
        const fresh = freshTagVersion()
        if (await this.store.add(raw, fresh)) {
          out[tag] = fresh
          return
        }
        // Someone else created it first: take theirs. If it vanished again, keep ours: the
        // entry then misses (fail safe), it never outlives an invalidation.
        const again = asVersion((await this.store.getMany([raw])).get(raw))
        out[tag] = again ?? fresh
      }),
    )
    return out
  }

  /** The raw key of the time of `tag`'s last `expireTags`. */
  expiredAtKey(tag: string): string {
    return this.store.rawKeyOf(TAG_EXPIRED_PREFIX + tag)
  }

  /**
   * Whether a snapshot still matches the counters (soft-expired counts as not matching).
   * `known` holds counters fetched in the same round trip as the entry; the others are fetched
   * here in one `getMany`.
   */
  async isCurrent(snap: StoredSnapshot, known?: Map<string, unknown>): Promise<boolean> {
    if (Object.keys(snap).length === 0) return true
    return (await this.judge([snap], known))[0]?.verdict === 'fresh'
  }

  /** `isCurrent` for many snapshots at once: one `getMany` for every counter they name. */
  async currentMany(snaps: readonly StoredSnapshot[], known?: Map<string, unknown>): Promise<boolean[]> {
    return (await this.judge(snaps, known)).map((j) => j.verdict === 'fresh')
  }

  /**
   * The verdict on each snapshot: `'fresh'` when every counter is unchanged, `'stale'` when
   * some moved by `expireTags` only (less than `HARD_STEP` in total), `'gone'` when one moved by
   * `invalidateTags` or is missing (evicted, cleared: fail safe). One `getMany` for the counters
   * not in `known`.
   */
  async judge(snaps: readonly StoredSnapshot[], known?: Map<string, unknown>): Promise<TagJudgement[]> {
    const need = new Set<string>()
    for (const s of snaps) {
      for (const t of Object.keys(s)) {
        const raw = this.counterKey(t)
        if (!known?.has(raw)) need.add(raw)
      }
    }
    const got = need.size ? await this.store.getMany([...need]) : new Map<string, unknown>()
    return snaps.map((s): TagJudgement => {
      const staleTags: string[] = []
      for (const [t, v] of Object.entries(s)) {
        const raw = this.counterKey(t)
        const cur = asVersion(known?.has(raw) ? known.get(raw) : got.get(raw))
        const was = asVersion(v)
        if (cur === undefined || was === undefined) return { verdict: 'gone', staleTags: [] }
        if (cur === was) continue
        const moved = cur - was
        if (moved > 0 && moved < HARD_STEP) staleTags.push(t)
        else return { verdict: 'gone', staleTags: [] }
      }
      return { verdict: staleTags.length ? 'stale' : 'fresh', staleTags }
    })
  }

  /**
   * Since when the entry soft-expired by `staleTags` is stale: the earliest of those tags' last
   * `expireTags` times, or `undefined` when one is missing (then the entry counts as gone).
   */
  async staleSince(staleTags: readonly string[]): Promise<number | undefined> {
    const raws = staleTags.map((t) => this.expiredAtKey(t))
    const got = await this.store.getMany(raws)
    let since = Number.POSITIVE_INFINITY
    for (const raw of raws) {
      const at = asVersion(got.get(raw))
      if (at === undefined) return undefined
      since = Math.min(since, at)
    }
    return Number.isFinite(since) ? since : undefined
  }

  /**
   * Bump every counter of `tags` by `HARD_STEP` (atomic `incr`, all sent at once). A missing
   * counter needs no bump: entries that name it already miss.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    await this.bump(tags, HARD_STEP)
  }

  /**
   * Soft-expire `tags` at `now`: record the time, then move each counter by 1, so a reader that
   * sees the moved counter finds the time (rule 17).
   */
  async expire(tags: readonly string[], now: number): Promise<void> {
    await Promise.all(tags.map((t) => this.store.set(this.expiredAtKey(t), now)))
    await this.bump(tags, 1)
  }

  private async bump(tags: readonly string[], delta: number): Promise<void> {
    await Promise.all(
      this.counterKeys(tags).map(async (raw) => {
        try {
          await this.store.incr(raw, delta)
        } catch (e) {
          if (!(e instanceof KeyNotFoundError)) throw e
        }
      }),
    )
  }
}

/** Whether a raw key is a tag counter's or a tag's expiry time (`entries()` lists only real entries). */
export function isTagCounterKey(rawKey: string): boolean {
  return rawKey.includes(TAG_KEY_PREFIX) || rawKey.includes(TAG_EXPIRED_PREFIX)
}
