/**
 * `BaseCache`: the public `Cache` methods every backend shares (docs/contract.md §2), built on
 * the storage primitives a backend implements (`StorageBase`, storage-base.ts: settings, the
 * primitives and their defaults, keys, the failure policy, culling and events). This file holds
 * the methods themselves (timeouts, versions, `getOrSet`, soft expiry, tag invalidation,
 * `entries`; the batch methods are `ManyMethods`, many-methods.ts, which it extends); the ideas
 * they use live in files of their own: tags on reads and
 * writes (`tagged-entries.ts`, rule 17), envelopes and soft expiry (`envelope.ts`, rule 16),
 * leases (`lease.ts`), single-flight `getOrSet` (`get-or-set.ts`), the listing
 * (`entry-listing.ts`, rule 14) and `incr` arithmetic (`delta.ts`, rule 7). It follows Django's
 * `BaseCache` (django/core/cache/backends/base.py) except where the contract says otherwise.
 */
import { isolatedCopy } from './clone.ts'
import { checkDelta } from './delta.ts'
import { listEntries } from './entry-listing.ts'
import { openEnvelope, STALE } from './envelope.ts'
import { KeyNotFoundError } from './errors.ts'
import { type GetOrSetHost, type GetOrSetOptions, getOrSetWith } from './get-or-set.ts'
import { defaultKeyFunction } from './keys.ts'
import { ManyMethods } from './many-methods.ts'
import type { StoredEntry } from './storage-base.ts'
import {
  addReplacingDead,
  judgedEntry,
  readChecked,
  storedValue,
  untaggedStoredValue,
  type TaggedStore,
  tagsCurrent,
  tagsOf,
} from './tagged-entries.ts'
import { normalizeTags, TagIndex, type TagOpts } from './tags.ts'
import type { Cache, EntriesOptions, EntryInfo, Timeout, VersionOpts } from './types.ts'
import type { StorableValue, ValueOrDefault } from './value-types.ts'

export { addDelta, unsafeIncrMessage } from './delta.ts'
export { manyKeyRecord, putManyKey } from './many-methods.ts'
export type { CullableStore } from './cull.ts'
export type { RawEntry, StoredEntry } from './storage-base.ts'

/** Per-call options of reads and writes: a version, and tags (docs/contract.md rule 17). */
type Opts = VersionOpts & TagOpts

/**
 * The base class of every backend. Subclasses implement the `_`-prefixed primitives of
 * `StorageBase` and may override its optional ones with faster or atomic versions.
 */
export abstract class BaseCache extends ManyMethods implements Cache {
  private readonly inflight = new Map<string, Promise<unknown>>()
  /** Tag counters in this cache's own store (docs/contract.md rule 17; tags.ts). */
  protected override readonly tagIndex: TagIndex = new TagIndex({
    rawKeyOf: (k) => this.rawKey(k),
    getMany: (raws) => this._getMany(raws),
    add: (raw, v) => this._add(raw, v, null),
    set: (raw, v) => this._set(raw, v, null),
    incr: (raw, d) => this._incr(raw, d, raw),
  })
  /** This cache's primitives as the tag checks and the listing use them. */
  private readonly tagged: TaggedStore = {
    tagIndex: this.tagIndex,
    get: (raw) => this._get(raw),
    getWithCounters: (raw, counterKeys) => this._getWithCounters(raw, counterKeys),
    getMany: (raws) => this._getMany(raws),
    add: (raw, v, exp) => this._add(raw, v, exp),
    delete: (raw) => this._delete(raw),
  }

  /**
   * The live value, or `defaultValue`. `opts.tags`, when given, are the tags the caller expects
   * the entry to carry: their counters are fetched with the entry in one round trip (rule 17).
   */
  get<T = unknown>(key: string, defaultValue?: undefined, opts?: Opts): Promise<T | undefined>
  get<T = unknown, D = T>(key: string, defaultValue: D, opts?: Opts): Promise<ValueOrDefault<T, D>>
  async get(key: string, defaultValue?: unknown, opts?: Opts): Promise<unknown> {
    const raw = this.rawKey(key, opts?.version)
    const t0 = this.events.active ? this.clock.now() : undefined
    const e = await this.read('get', () => this.readChecked(raw, opts?.tags), undefined, raw)
    return this.answerGet(e, key, raw, defaultValue, opts?.version, t0)
  }

  /**
   * `get` for an entry a backend's own fast path has read (no tags hinted, nobody listening):
   * its tags are checked as `get` checks them (rule 17), then it is answered and counted alike.
   */
  protected getFromEntry(
    e: StoredEntry,
    key: string,
    raw: string,
    defaultValue: unknown,
    version: number | undefined,
  ): Promise<unknown> {
    return this.read('get', () => judgedEntry(this.tagIndex, e, undefined, false), undefined, raw).then(
      (checked) => this.answerGet(checked, key, raw, defaultValue, version, undefined),
    )
  }

  private answerGet(
    e: StoredEntry | undefined,
    key: string,
    raw: string,
    defaultValue: unknown,
    version: number | undefined,
    t0: number | undefined,
  ): unknown {
    // A stale envelope (rule 16) is a miss for `get`; a fresh one gives its value.
    const v = e === undefined ? STALE : openEnvelope(e.value, this.clock.now())
    if (v === STALE) {
      this.counters.misses++
      if (t0 !== undefined) this.report.key('miss', key, raw, version, t0)
      return defaultValue
    }
    this.counters.hits++
    if (t0 !== undefined) this.report.key('hit', key, raw, version, t0)
    return v
  }

  /**
   * `get` that counts and reports nothing: for a backend's own `getOrSet` re-reads (a cold
   * `getOrSet` is one miss and one set, never a hit: docs/contract.md rule 13). `undefined` on a
   * miss, else `{ value }` (the backend's usual copy).
   */
  protected async getQuietly(key: string, opts?: Opts): Promise<{ value: unknown } | undefined> {
    const raw = this.rawKey(key, opts?.version)
    const e = await this.read('get', () => this.readChecked(raw, opts?.tags), undefined, raw)
    const v = e === undefined ? STALE : openEnvelope(e.value, this.clock.now())
    return v === STALE ? undefined : { value: v }
  }

  /**
   * The stored entry at `rawKey`, or `undefined` when missing or its tags were invalidated; a
   * soft-expired one comes back as a stale envelope (rule 17; see `tagged-entries.ts`).
   */
  protected readChecked(
    rawKey: string,
    hint?: Iterable<string>,
    staleSince = false,
  ): Promise<StoredEntry | undefined> {
    return readChecked(this.tagged, rawKey, hint, staleSince)
  }

  /** Whether a stored value's tags (if any) are all still current: not invalidated, not expired (rule 17). */
  protected tagsCurrent(stored: unknown): Promise<boolean> {
    return tagsCurrent(this.tagIndex, stored)
  }

  async set<T>(key: string, value: StorableValue<T>, timeout?: Timeout, opts?: Opts): Promise<boolean> {
    const tags = tagsOf(opts)
    const raw = this.rawKey(key, opts?.version)
    const exp = this.expiryFor(timeout)
    const t0 = this.events.active ? this.clock.now() : undefined
    // Rule 3: a timeout of 0 or less leaves nothing readable and removes an older value.
    const ok = await this.write(
      'set',
      () =>
        exp !== null && exp <= this.clock.now()
          ? this.expireNow(raw, value)
          : tags.length === 0
            ? this._set(raw, untaggedStoredValue(value), exp)
            : storedValue(this.tagIndex, value, tags).then((v) => this._set(raw, v, exp)),
      raw,
    )
    if (ok) {
      this.counters.sets++
      if (t0 !== undefined) this.report.key('set', key, raw, opts?.version, t0)
    }
    return ok
  }

  private async expireNow(raw: string, value: unknown): Promise<boolean> {
    isolatedCopy(value) // still reject functions and symbols (rule 12)
    await this._delete(raw)
    return true
  }

  async add<T>(key: string, value: StorableValue<T>, timeout?: Timeout, opts?: Opts): Promise<boolean> {
    const tags = tagsOf(opts)
    const raw = this.rawKey(key, opts?.version)
    const exp = this.expiryFor(timeout)
    const ok = await this.write(
      'add',
      async () => {
        if (exp !== null && exp <= this.clock.now()) {
          if (await this._hasFresh(raw)) return false
          return this.expireNow(raw, value)
        }
        return addReplacingDead(this.tagged, raw, await storedValue(this.tagIndex, value, tags), exp)
      },
      raw,
    )
    if (ok) this.counted('set', key, raw, opts?.version)
    return ok
  }

  async touch(key: string, timeout?: Timeout, opts?: VersionOpts): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    const exp = this.expiryFor(timeout)
    return this.write(
      'touch',
      async () => {
        if (exp !== null && exp <= this.clock.now()) return this._delete(raw)
        return this._touch(raw, exp)
      },
      raw,
    )
  }

  async delete(key: string, opts?: VersionOpts): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    const ok = await this.write('delete', () => this._delete(raw), raw)
    if (ok) this.counted('delete', key, raw, opts?.version)
    return ok
  }

  async has(key: string, opts?: VersionOpts): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    return this.read('has', () => this._hasFresh(raw), false, raw)
  }

  async incr(key: string, delta = 1, opts?: VersionOpts): Promise<number> {
    checkDelta(delta)
    const raw = this.rawKey(key, opts?.version)
    try {
      const n = await this.mustWrite('incr', () => this._incr(raw, delta, key), raw)
      this.counted('set', key, raw, opts?.version)
      return n
    } catch (e) {
      // Rule 7: the message names the key as the caller gave it.
      if (e instanceof KeyNotFoundError) throw new KeyNotFoundError(key)
      throw e
    }
  }

  async decr(key: string, delta = 1, opts?: VersionOpts): Promise<number> {
    checkDelta(delta)
    return this.incr(key, -delta, opts)
  }

  async incrVersion(key: string, delta = 1, opts?: VersionOpts): Promise<number> {
    checkDelta(delta)
    const version = opts?.version ?? this.version
    const from = this.rawKey(key, version)
    const to = this.rawKey(key, version + delta)
    const moved = await this.mustWrite('incrVersion', () => this._moveVersion(from, to), from)
    if (!moved) throw new KeyNotFoundError(key)
    return version + delta
  }

  async decrVersion(key: string, delta = 1, opts?: VersionOpts): Promise<number> {
    checkDelta(delta)
    return this.incrVersion(key, -delta, opts)
  }

  /**
   * The live value, or `defaultValue` (called if it is a function) stored with `add` (rule 9).
   * Concurrent calls for one key share one computation; every caller gets its own copy.
   * `opts` adds `lock`, `lockTimeoutMs`, `staleWhileRevalidate`, `staleIfError` and `beta`
   * (docs/contract.md rule 16; get-or-set.ts).
   */
  getOrSet<T>(
    key: string,
    defaultValue: T | (() => T | Promise<T>),
    timeout?: Timeout,
    opts?: GetOrSetOptions,
  ): Promise<T> {
    return getOrSetWith(this.getOrSetHost(), key, defaultValue, timeout, opts)
  }

  /**
   * Soft invalidation (rule 16): mark a live entry stale, keeping it stored until its own expiry,
   * so `getOrSet(…, { staleWhileRevalidate })` serves it while one caller refreshes it; `get`
   * and `has` miss it at once. Says whether there was an entry.
   */
  async expire(key: string, opts?: VersionOpts): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    const ok = await this.write('expire', () => this._expire(raw), raw)
    if (ok && this.events.active) this.report.key('expire', key, raw, opts?.version)
    return ok
  }

  /** Whether a live, fresh entry exists (`has`); stale envelopes do not count (rule 16). */
  protected async _hasFresh(rawKey: string): Promise<boolean> {
    const e = await this._get(rawKey)
    if (e === undefined || openEnvelope(e.value, this.clock.now()) === STALE) return false
    return this.tagsCurrent(e.value) // has() agrees with get() after an invalidation (rule 17)
  }

  /** Raw keys this process is refreshing in the background (devtools; rule 16). */
  protected readonly refreshing = new Set<string>()

  private host: GetOrSetHost | undefined

  private getOrSetHost(): GetOrSetHost {
    if (this.host) return this.host
    this.host = {
      now: () => this.clock.now(),
      rawKey: (k, v) => this.rawKey(k, v),
      expiryFor: (t) => this.expiryFor(t),
      readStored: (raw, tags) => this.read('get', () => this.readChecked(raw, tags, true), undefined, raw),
      tagSnapshot: async (opts) => {
        const tags = tagsOf(opts)
        return tags.length === 0 ? undefined : this.mustWrite('getOrSet', () => this.tagIndex.snapshot(tags))
      },
      add: (k, v, t, o) => this.add(k, v, t, o),
      set: (k, v, t, o) => this.set(k, v, t, o),
      storeEnvelope: async (key, raw, env, exp, mode, opts) => {
        const op = () =>
          mode === 'add' ? addReplacingDead(this.tagged, raw, env, exp) : this._set(raw, env, exp)
        const ok = await this.write('set', op, raw)
        if (ok) this.counted('set', key, raw, opts?.version)
        return ok
      },
      acquireLease: (raw, ms) => this.acquireLease(raw, ms),
      releaseLease: (raw, token) => this.releaseLease(raw, token),
      note: (type, key, raw, opts) => this.counted(type, key, raw, opts?.version),
      signal: (type, key, raw, opts) => {
        if (this.events.active) this.report.key(type, key, raw, opts?.version)
      },
      fail: (e, raw) => this.noteError(e, raw),
      inflight: this.inflight,
      refreshing: this.refreshing,
    }
    return this.host
  }

  /**
   * Make every entry tagged with any of `tags` miss, in every process sharing this store
   * (rule 17): one atomic `incr` per tag, all sent at once; no key is scanned.
   */
  async invalidateTags(tags: Iterable<string>): Promise<void> {
    const list = normalizeTags(tags)
    if (list.length === 0) return
    await this.mustWrite('invalidateTags', () => this.tagIndex.invalidate(list))
  }

  /**
   * Soft invalidation by tag (rule 17; `expire()` for every entry carrying any of `tags`): they
   * become stale at once, so `get` and `has` miss them, while `getOrSet` with
   * `staleWhileRevalidate` or `staleIfError` may still serve them within those windows, counted
   * from now, while it refreshes them. One write and one atomic `incr` per tag; no key is scanned.
   */
  async expireTags(tags: Iterable<string>): Promise<void> {
    const list = normalizeTags(tags)
    if (list.length === 0) return
    await this.mustWrite('expireTags', () => this.tagIndex.expire(list, this.clock.now()))
  }

  async clear(): Promise<void> {
    await this.mustWrite('clear', () => this._clear())
    if (this.events.active) this.report.whole('clear')
  }

  async close(): Promise<void> {
    await this._close()
  }

  /**
   * Every live entry (rule 14), with `key`/`version` parsed back when the default key function
   * is used (then only this alias's prefix is listed). `prefix` filters on the caller's key.
   */
  async *entries(opts: EntriesOptions = {}): AsyncIterable<EntryInfo> {
    yield* listEntries(
      {
        rawEntries: (o) => this._entries(o),
        store: this.tagged,
        isExpired: (exp) => this.isExpired(exp),
        now: () => this.clock.now(),
        defaultKeyPrefix: this.keyFunction === defaultKeyFunction ? this.keyPrefix : undefined,
        refreshing: this.refreshing,
      },
      opts,
    )
  }
}
