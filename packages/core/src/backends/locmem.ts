/**
 * `locmem`: Django's LocMemCache (django/core/cache/backends/locmem.py). Stores with the same `location` share
 * one store per realm (process, page or worker). Values are isolated copies (rule 12).
 *
 * LRU order (Django moves a key to the front on get, set and incr; `move_to_end` in django/core/cache/backends/locmem.py; docs/contract.md rule 11) is kept
 * in one of two ways per store. Until the store first has to cull, each use just stamps the item
 * with a counter (`Item.u`): no other item is touched, where moving an item in a linked list
 * writes both neighbours, two random items and so two cache misses per hit in a large store.
 * The first cull (or a counter near the Smi limit) sorts the items by stamp once into an
 * intrusive doubly linked list (most recent at `head`), and from then on a use moves the item to
 * the front and an eviction pops the tail: O(1) each, and a cull costs O(culled). The order is
 * the same either way. Re-inserting into the `Map` to move a key would cost ~10× more in V8, and
 * walking `map.keys()` from the start per eviction would cost O(deleted slots).
 *
 * Each cache also keeps a direct index from the caller's key (default version) to the item, so a
 * hit is one hash lookup, not two (made key, then store). It is no memo of made keys and has no
 * bound a working set can outgrow: it holds only live items this cache has found (at most one
 * index entry per item, dropped when the item leaves the store; `DirectIndex` in locmem-store.ts),
 * so a hit reads only the item's fields it needs (`q`, `u`, `h`, `v`, `plan`), laid out first.
 */
import { BaseCache, addDelta, type CullableStore, type RawEntry, type StoredEntry } from '../base-cache.ts'
import { flatten, restore, restoreFlat, restoreTree, type Snapshot, snapshot } from '../clone.ts'
import { systemClock } from '../clock.ts'
import { encodeValue } from '../codec.ts'
import { escapeEnvelope, isEnvelope, openEnvelope, STALE } from '../envelope.ts'
import { KeyNotFoundError } from '../errors.ts'
import {
  coarseExpiry,
  type DirectIndex,
  expired,
  indexItem,
  type Item,
  type Store,
  storeFor,
} from './locmem-store.ts'
import { NO_PEEK, PEEK, PEEK_RAW } from '../peek.ts'
import type { TagOpts } from '../tags.ts'
import type { CacheInit, Timeout, VersionOpts } from '../types.ts'
import type { StorableValue, ValueOrDefault } from '../value-types.ts'

/** `Item.h` of a stored snapshot. */
function hitMode(s: Snapshot): 0 | 1 | 2 | 3 | 4 {
  if (s.kind === 3) return 4 // never an envelope (`isolatedSnapshot`)
  return isEnvelope(s.v) ? 2 : s.kind === 0 ? 0 : s.kind === 1 ? 1 : 3
}

/** A hit's copy for `Item.h` 1, 3 or 4 (the same copy as `restore`, without reading `kind`). */
function hitCopy(it: Item): unknown {
  const h = it.h
  return h === 4
    ? restoreFlat(it.v as object, it.plan)
    : h === 1
      ? restoreTree(it.v as object, it.plan)
      : structuredClone(it.v)
}

/**
 * The isolated copy to store: `snapshot`, in the flat stored form when it fits (`flatten`: a
 * hit then reads a nested array as one stored object, not two). An envelope stays a tree, so
 * `isEnvelope` of what is stored keeps telling envelopes apart.
 */
function isolatedSnapshot(value: unknown): Snapshot {
  const s = snapshot(value)
  return s.kind === 1 && s.plan !== null && !isEnvelope(s.v) ? flatten(s) : s
}

/**
 * Turn a stored item of the flat form (`Item.h` 4) back into its tree, for a caller that reads
 * the stored value itself (`PEEK`): from then on it gets that same object on every read.
 */
function unflatten(it: Item): void {
  it.v = restoreFlat(it.v as object, it.plan)
  it.kind = 1
  it.h = 1
}

// `isolate: false`: keep the caller's reference (kind 0 is returned as is by `restore`).
function shareValue(value: unknown): Snapshot {
  const t = typeof value
  if (t === 'function' || t === 'symbol') throw new TypeError(`cachework cannot store a ${t}`)
  return { v: value, kind: 0, plan: null }
}

/**
 * The local-memory backend (`locmem`). Options: `maxEntries` (300), `cullFrequency` (3), and
 * `isolate` (true): `false` stores and returns the caller's own objects without copying, which
 * is faster but UNSAFE for values anyone mutates (rule 12 then no longer holds).
 */
export class LocMemCache extends BaseCache {
  static override readonly backendName: string = 'locmem'
  static override readonly knownOptions: readonly string[] = ['isolate']
  /** Validate `isolate`. */
  static validateOptions(options: Record<string, unknown>): string | undefined {
    const v = options.isolate
    return v === undefined || typeof v === 'boolean'
      ? undefined
      : `isolate must be a boolean, got ${typeof v}`
  }
  private readonly store: Store
  private readonly copy: (value: unknown) => Snapshot
  private readonly cullable: CullableStore
  /** Caller key → item for the default version (see the file comment); off when keys must be re-validated. */
  private readonly direct: DirectIndex | undefined

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const loc = Array.isArray(this.location) ? this.location.join(',') : this.location
    this.store = storeFor(loc)
    this.copy = this.options.isolate === false ? shareValue : isolatedSnapshot
    // Only when validating a made key once is enough (a validateKey override runs every time).
    this.direct = this.memoisesKeys() ? new Map() : undefined
    const s = this.store
    this.cullable = {
      size: () => s.map.size,
      removeExpired: (now, onRemoved) => {
        if (now < s.minExpiry) return 0
        let n = 0
        let min = Number.POSITIVE_INFINITY
        for (const it of s.map.values()) {
          if (it.e !== null && it.e <= now) {
            s.remove(it)
            n++
            onRemoved?.(it.k)
          } else if (it.e !== null && it.e < min) min = it.e
        }
        s.minExpiry = min
        return n
      },
      removeSome: (count, onRemoved) => {
        let n = 0
        let it = s.last()
        while (n < count && it !== null) {
          s.remove(it)
          n++
          onRemoved?.(it.k)
          it.v = undefined
          it.plan = null
          s.free.push(it)
          it = s.tail
        }
        return n
      },
      removeAll: () => {
        const n = s.map.size
        s.clear()
        return n
      },
    }
  }

  /** The live item, optionally marked as used; an expired one is removed. */
  private live(rawKey: string, use: boolean): Item | undefined {
    const it = this.store.map.get(rawKey)
    if (it === undefined) return undefined
    if (expired(it, this.clock, undefined)) {
      this.store.remove(it)
      this.noteExpired(rawKey)
      return undefined
    }
    if (use) this.store.touch(it)
    return it
  }

  /**
   * The live item of the caller's `key` (`version` as given), optionally marked as used: through
   * the direct index when it holds the key, else by the made key (then indexed).
   */
  private liveByKey(key: string, version: number | undefined, use: boolean, now?: number): Item | undefined {
    const d = this.direct
    if (d !== undefined && (version === undefined || version === this.version)) {
      let it = d.get(key)
      if (it === undefined) {
        const raw = this.rawKey(key, version)
        it = this.store.map.get(raw)
        if (it === undefined) return undefined
        if (this.cleanKey(raw)) indexItem(d, key, it)
      }
      if (expired(it, this.clock, now)) {
        this.store.remove(it)
        this.noteExpired(it.k)
        return undefined
      }
      if (use) this.store.touch(it)
      return it
    }
    return this.live(this.rawKey(key, version), use)
  }

  /** Store a prepared snapshot; culls first when `rawKey` is not live and the store is full. */
  private async put(rawKey: string, s: Snapshot, expiresAt: number | null): Promise<void> {
    const existing = this.live(rawKey, false)
    if (existing === undefined && this.store.map.size >= this.maxEntries) {
      await this.cullBeforeInsert(this.cullable)
    }
    this.place(rawKey, s, expiresAt, existing)
  }

  private place(rawKey: string, s: Snapshot, expiresAt: number | null, existing: Item | undefined): Item {
    const st = this.store
    if (existing !== undefined) {
      existing.v = s.v
      existing.kind = s.kind
      existing.plan = s.plan
      existing.h = hitMode(s)
      existing.q = coarseExpiry(expiresAt)
      existing.e = expiresAt
      st.touch(existing)
      st.noteExpiry(expiresAt)
      return existing
    } else {
      const recycled = st.free.pop()
      let it: Item
      if (recycled !== undefined) {
        it = recycled
        it.v = s.v
        it.kind = s.kind
        it.plan = s.plan
        it.h = hitMode(s)
        it.k = rawKey
        it.q = coarseExpiry(expiresAt)
        it.e = expiresAt
      } else {
        // The fields a hit reads or writes first, together: V8 lays them out in this order, so
        // a hit reads the 64 bytes from the item's start (24 of header, then q, u, h, v, plan):
        // `h` tells the copy apart, so `kind` (after them) is not read.
        it = {
          q: coarseExpiry(expiresAt),
          u: 0,
          h: hitMode(s),
          v: s.v,
          plan: s.plan,
          kind: s.kind,
          e: expiresAt,
          k: rawKey,
          d: null,
          ck: undefined,
          p: null,
          n: null,
        }
      }
      st.map.set(rawKey, it)
      st.add(it)
      st.noteExpiry(expiresAt)
      return it
    }
  }

  // Fast paths: with nobody listening, `get` and `set` skip the generic machinery (and its
  // promise chain); with listeners, the base class does the same work and emits events.
  override get<T = unknown>(key: string, defaultValue?: undefined, opts?: VersionOpts): Promise<T | undefined>
  override get<T = unknown, D = T>(
    key: string,
    defaultValue: D,
    opts?: VersionOpts,
  ): Promise<ValueOrDefault<T, D>>
  override get(key: string, defaultValue?: unknown, opts?: VersionOpts): Promise<unknown> {
    if (this.events.active) return super.get(key, defaultValue, opts)
    try {
      // The common hit, inline: the direct index holds the key and the item is live and plain.
      const d = this.direct
      if (opts === undefined && d !== undefined) {
        const hit = d.get(key)
        if (hit !== undefined && hit.h !== 2 && !expired(hit, this.clock, undefined)) {
          this.store.touch(hit)
          this.counters.hits++
          return Promise.resolve(hit.h === 0 ? hit.v : hitCopy(hit))
        }
      }
      const it = this.liveByKey(key, opts?.version, true)
      if (it === undefined) {
        this.counters.misses++
        return Promise.resolve(defaultValue)
      }
      const h = it.h
      if (h === 2) return super.get(key, defaultValue, opts) // rule 16 metadata
      this.counters.hits++
      return Promise.resolve(h === 0 ? it.v : hitCopy(it))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  override set<T>(
    key: string,
    value: StorableValue<T>,
    timeout?: Timeout,
    opts?: VersionOpts & TagOpts,
  ): Promise<boolean> {
    // Tagged writes (docs/contract.md rule 17) take the generic path.
    if (this.events.active || opts?.tags !== undefined) return super.set(key, value, timeout, opts)
    try {
      const version = opts?.version
      const exp = this.expiryFor(timeout)
      if (exp !== null && exp <= this.clock.now()) return super.set(key, value, timeout, opts)
      const s = this.copy(escapeEnvelope(value))
      const existing = this.liveByKey(key, version, false)
      if (existing !== undefined) this.place(existing.k, s, exp, existing)
      else {
        if (this.store.map.size >= this.maxEntries) return super.set(key, value, timeout, opts)
        const raw = this.rawKey(key, version)
        const it = this.place(raw, s, exp, undefined)
        const d = this.direct
        if (d !== undefined && (version === undefined || version === this.version) && this.cleanKey(raw)) {
          indexItem(d, key, it)
        }
      }
      this.counters.sets++
      return Promise.resolve(true)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /**
   * For a cache in front of this one (tiered's L1 hit, peek.ts `PEEK_RAW`): an isolated copy of
   * the live plain value at `rawKey`, `undefined` when missing, `NO_PEEK` for an envelope.
   * Counts nothing (the caller counts its own hit); an expired item is removed as by `_get`.
   */
  [PEEK_RAW](rawKey: string): unknown {
    const it = this.live(rawKey, true)
    if (it === undefined) return undefined
    if (isEnvelope(it.v)) return NO_PEEK
    return it.kind === 0 ? it.v : restore(it)
  }

  /**
   * The stored value itself, for read-only callers (peek.ts); `NO_PEEK` while events flow.
   * `systemNow`: a `Date.now()` the caller just read, used instead of reading the clock again
   * when this cache's clock is the system clock (one clock read for a page hit's two lookups).
   */
  [PEEK](key: string, systemNow?: number): unknown {
    if (this.events.active) return NO_PEEK
    const now = this.clock === systemClock ? systemNow : undefined
    const it = this.liveByKey(key, undefined, true, now)
    if (it === undefined) {
      this.counters.misses++
      return undefined
    }
    // Tagged entries need their counters checked (rule 17): the caller uses `get`.
    if (it.h !== 2) {
      this.counters.hits++
      if (it.h === 4) unflatten(it) // the flat stored form is not the value
      return it.v
    }
    if (isEnvelope(it.v) && it.v.tags !== undefined) return NO_PEEK
    const v = openEnvelope(it.v, now ?? this.clock.now())
    if (v === STALE) {
      this.counters.misses++
      return undefined
    }
    this.counters.hits++
    return v
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const it = this.live(rawKey, true)
    return it === undefined ? undefined : { value: it.kind === 0 ? it.v : restore(it), expiresAt: it.e }
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    for (const k of rawKeys) {
      const it = this.live(k, true)
      if (it !== undefined) out.set(k, it.kind === 0 ? it.v : restore(it))
    }
    return out
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    // has_key does not count as use (django/core/cache/backends/locmem.py).
    return this.live(rawKey, false) !== undefined
  }

  protected override async _hasFresh(rawKey: string): Promise<boolean> {
    const it = this.live(rawKey, false)
    if (it === undefined || openEnvelope(it.v, this.clock.now()) === STALE) return false
    return this.tagsCurrent(it.v) // rule 17: has() agrees with get()
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    // Copy outside any bookkeeping, as Django pickles outside its lock.
    await this.put(rawKey, this.copy(value), expiresAt)
    return true
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const s = this.copy(value)
    if (this.live(rawKey, false) !== undefined) return false
    await this.put(rawKey, s, expiresAt)
    return true
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    const it = this.live(rawKey, false)
    if (it === undefined) return false
    it.q = coarseExpiry(expiresAt)
    it.e = expiresAt
    this.store.noteExpiry(expiresAt)
    return true
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    const it = this.live(rawKey, false)
    if (it === undefined) return false
    this.store.remove(it)
    return true
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    // Synchronous between the read and the write, so atomic; the expiry is kept (rule 7).
    const it = this.live(rawKey, true)
    if (it === undefined) throw new KeyNotFoundError(rawKey)
    const next = addDelta(it.v, delta, callerKey)
    it.v = next
    it.kind = 0
    it.plan = null
    it.h = 0
    return next
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const it = this.live(fromRaw, false)
    if (it === undefined) return false
    if (fromRaw === toRaw) return true
    this.store.remove(it)
    await this.put(toRaw, { v: it.v, kind: it.kind, plan: it.plan }, it.e)
    return true
  }

  protected async _clear(): Promise<void> {
    this.store.clear()
  }

  protected async *_entries(opts?: { sizes?: boolean }): AsyncIterable<RawEntry> {
    const sizes = opts?.sizes !== false
    // Snapshot the items first: the consumer may delete while we iterate.
    for (const it of [...this.store.map.values()]) {
      if (this.store.map.get(it.k) !== it) continue // deleted while the consumer ran
      const value = restore(it)
      let size: number | undefined
      try {
        // The size is the encoded form's: an encoding per entry, skipped when not asked for.
        size = sizes ? encodeValue(value).length : undefined
      } catch {
        size = undefined
      }
      yield { rawKey: it.k, expiresAt: it.e, size, value }
    }
  }
}
