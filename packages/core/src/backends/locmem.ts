/**
 * `locmem`: Django's LocMemCache (django/core/cache/backends/locmem.py). Stores with the same `location` share
 * one store per realm (process, page or worker). Values are isolated copies (rule 12).
 *
 * LRU order (Django moves a key to the front on get, set and incr; `move_to_end` in django/core/cache/backends/locmem.py; docs/contract.md rule 11) is kept
 * in one of two ways per store. Until the store first has to cull, each use just stamps the item
 * with a counter (its `u`, locmem-store.ts): no other item is touched, where moving an item in a
 * linked list writes both neighbours, two random items and so two cache misses per hit in a
 * large store. The first cull (or a counter near the Smi limit) sorts the items by stamp once
 * into an intrusive doubly linked list (most recent at `head`), and from then on a use moves the
 * item to the front and an eviction pops the tail: O(1) each, and a cull costs O(culled). The
 * order is the same either way. Re-inserting into the `Map` to move a key would cost ~10× more
 * in V8, and walking `map.keys()` from the start per eviction would cost O(deleted slots).
 *
 * Each cache also keeps a direct index from the caller's key (default version) to the item, so a
 * hit is one hash lookup, not two (made key, then store). It is no memo of made keys and has no
 * bound a working set can outgrow: it holds only live items this cache has found (at most one
 * index entry per item, dropped when the item leaves the store; `DirectIndex` in locmem-store.ts).
 * It maps the key to where the item's hot part starts in the store's packed array (its coarse
 * expiry, mode, stamp and value, 32 bytes: locmem-store.ts), so a `get` hit reads no item object;
 * for a short key the index's own slot carries copies of the value, mode and coarse expiry, so a
 * hit reads that one slot and writes the stamp. A slot of a primitive value keeps, from its first
 * hit, the resolved promise every later hit returns (`S_ANSWER`): the value is immutable, so
 * sharing the answer isolates as a copy would, and a hit allocates nothing.
 */
import { BaseCache, addDelta, type CullableStore, type RawEntry, type StoredEntry } from '../base-cache.ts'
import { flatten, restoreFlat, restoreParts, restoreTree, type Snapshot, snapshot } from '../clone.ts'
import { systemClock } from '../clock.ts'
import { encodeValue } from '../codec.ts'
import { escapeEnvelope, isEnvelope, openEnvelope, STALE } from '../envelope.ts'
import { KeyNotFoundError } from '../errors.ts'
import {
  DirectIndex,
  expiredQ,
  HOT_H,
  HOT_Q,
  HOT_V,
  indexItem,
  type Item,
  S_ANSWER,
  S_B,
  S_H,
  S_Q,
  S_V,
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

/** A hit's copy of `v`, the value of `it`, for mode `h` 1, 3 or 4 (`restore`'s copy, without reading `kind`). */
function hitCopy(v: unknown, it: Item, h: number): unknown {
  return h === 4
    ? restoreFlat(v as object, it.plan)
    : h === 1
      ? restoreTree(v as object, it.plan)
      : structuredClone(v)
}

/** The isolated copy of what `it` holds (kind 0 as it is). */
function copyOut(st: Store, it: Item): unknown {
  return restoreParts(st.value(it), it.kind, it.plan)
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
 * Turn a stored item of the flat form (mode 4) back into its tree, for a caller that reads
 * the stored value itself (`PEEK`): from then on it gets that same object on every read.
 */
function unflatten(st: Store, it: Item): unknown {
  const v = restoreFlat(st.value(it) as object, it.plan)
  st.setValue(it, v, 1, it.plan, 1)
  return v
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
    this.direct = this.memoisesKeys() ? new DirectIndex() : undefined
    const s = this.store
    this.cullable = {
      size: () => s.map.size,
      removeExpired: (now, onRemoved) => {
        if (now < s.minExpiry) return 0
        let n = 0
        let min = Number.POSITIVE_INFINITY
        for (const it of s.map.values()) {
          if (it.e !== null && it.e <= now) {
            const k = it.k
            s.remove(it)
            n++
            onRemoved?.(k)
          } else if (it.e !== null && it.e < min) min = it.e
        }
        s.minExpiry = min
        return n
      },
      removeSome: (count, onRemoved) => {
        let n = 0
        let it = s.last()
        while (n < count && it !== null) {
          const k = it.k
          s.remove(it)
          n++
          onRemoved?.(k)
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
    if (this.store.expired(it, this.clock, undefined)) {
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
      const st = this.store
      const b = d.get(key)
      let it: Item | undefined
      if (b === undefined) {
        const raw = this.rawKey(key, version)
        it = st.map.get(raw)
        if (it === undefined) return undefined
        if (this.cleanKey(raw)) indexItem(st, d, key, it)
      } else it = st.itemAt(b) as Item
      if (st.expired(it, this.clock, now)) {
        const k = it.k
        st.remove(it)
        this.noteExpired(k)
        return undefined
      }
      if (use) st.touch(it)
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
      st.write(existing, s.v, s.kind, s.plan, hitMode(s), expiresAt)
      st.touch(existing)
      return existing
    }
    const it = st.newItem(rawKey)
    st.write(it, s.v, s.kind, s.plan, hitMode(s), expiresAt)
    st.map.set(rawKey, it)
    st.add(it)
    return it
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
      // A short key's slot holds copies of the item's value, mode and coarse expiry, so only
      // the slot is read and the use stamp written; for another key, only the item's hot part
      // is read (locmem-store.ts, `DirectIndex`).
      const d = this.direct
      if (opts === undefined && d !== undefined) {
        const st = this.store
        const o = d.find(key)
        let b: number | undefined
        let h: unknown
        let q: unknown
        let v: unknown
        if (o >= 0) {
          const t = d.t
          b = t[o + S_B] as number
          h = t[o + S_H]
          q = t[o + S_Q]
          v = t[o + S_V]
        } else if (d.other.size !== 0 && (b = d.other.get(key)) !== undefined) {
          const hot = st.hot
          h = hot[b + HOT_H]
          q = hot[b + HOT_Q]
          v = hot[b + HOT_V]
        }
        if (b !== undefined && h !== 2 && !expiredQ(q as number, st, b, this.clock, undefined)) {
          st.touchAt(b)
          this.counters.hits++
          if (h === S_ANSWER) return v as Promise<unknown>
          if (h === 0) return o >= 0 ? d.answer(o, v) : Promise.resolve(v)
          return Promise.resolve(hitCopy(v, st.itemAt(b) as Item, h as number))
        }
      }
      const it = this.liveByKey(key, opts?.version, true)
      if (it === undefined) {
        this.counters.misses++
        return Promise.resolve(defaultValue)
      }
      const st = this.store
      const h = st.mode(it)
      if (h === 2) return super.get(key, defaultValue, opts) // rule 16 metadata
      this.counters.hits++
      const v = st.value(it)
      return Promise.resolve(h === 0 ? v : hitCopy(v, it, h))
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
      // One clock reading, none for no timeout: a timeout of 0 or less gives an expiry before
      // it (rule 3, the generic path then removes the key), a positive one an expiry after it.
      const now =
        (timeout === undefined ? this.defaultTimeout : timeout) === null ? undefined : this.clock.now()
      const exp = this.expiryAt(timeout, now)
      if (exp !== null && exp <= (now as number)) return super.set(key, value, timeout, opts)
      const s = this.copy(escapeEnvelope(value))
      const existing = this.liveByKey(key, version, false)
      if (existing !== undefined) this.place(existing.k, s, exp, existing)
      else {
        if (this.store.map.size >= this.maxEntries) return super.set(key, value, timeout, opts)
        const raw = this.rawKey(key, version)
        const it = this.place(raw, s, exp, undefined)
        const d = this.direct
        if (d !== undefined && (version === undefined || version === this.version) && this.cleanKey(raw)) {
          indexItem(this.store, d, key, it)
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
    if (isEnvelope(this.store.value(it))) return NO_PEEK
    return copyOut(this.store, it)
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
    const st = this.store
    const h = st.mode(it)
    const stored = st.value(it)
    if (h !== 2) {
      this.counters.hits++
      return h === 4 ? unflatten(st, it) : stored // the flat stored form is not the value
    }
    if (isEnvelope(stored) && stored.tags !== undefined) return NO_PEEK
    const v = openEnvelope(stored, now ?? this.clock.now())
    if (v === STALE) {
      this.counters.misses++
      return undefined
    }
    this.counters.hits++
    return v
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const it = this.live(rawKey, true)
    return it === undefined ? undefined : { value: copyOut(this.store, it), expiresAt: it.e }
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    for (const k of rawKeys) {
      const it = this.live(k, true)
      if (it !== undefined) out.set(k, copyOut(this.store, it))
    }
    return out
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    // has_key does not count as use (django/core/cache/backends/locmem.py).
    return this.live(rawKey, false) !== undefined
  }

  protected override async _hasFresh(rawKey: string): Promise<boolean> {
    const it = this.live(rawKey, false)
    if (it === undefined) return false
    const v = this.store.value(it)
    if (openEnvelope(v, this.clock.now()) === STALE) return false
    return this.tagsCurrent(v) // rule 17: has() agrees with get()
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
    this.store.setExpiry(it, expiresAt)
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
    const next = addDelta(this.store.value(it), delta, callerKey)
    this.store.setValue(it, next, 0, null, 0)
    return next
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const it = this.live(fromRaw, false)
    if (it === undefined) return false
    if (fromRaw === toRaw) return true
    // Read before `remove`, which drops the value and keeps the item for a new key.
    const moved: Snapshot = { v: this.store.value(it), kind: it.kind, plan: it.plan }
    const e = it.e
    this.store.remove(it)
    await this.put(toRaw, moved, e)
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
      const value = copyOut(this.store, it)
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
