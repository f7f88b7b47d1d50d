/**
 * `BaseCache`: everything a backend shares (docs/contract.md §2). A backend implements a handful
 * of storage primitives on made ("raw") keys and absolute expiry times; this class holds the
 * public `Cache` methods (timeouts, versions, single-flight `getOrSet`, `entries`) and wires in
 * the parts that live in files of their own: key making and validation (`key-maker.ts`, rules 1
 * and 2), the failure policy (`failure-policy.ts`, rule 15), culling (`cull.ts`, rule 11) and the
 * event reporter (`event-reporter.ts`, rule 13). It follows Django's `BaseCache`
 * (django/core/cache/backends/base.py) except where the contract says otherwise.
 */
import { isolatedCopy } from './clone.ts'
import { type Clock, systemClock } from './clock.ts'
import { resolveInit } from './config.ts'
import { type CullableStore, cullBeforeInsert } from './cull.ts'
import { CacheUnavailableError, KeyNotFoundError } from './errors.ts'
import { EventReporter, emptyStats } from './event-reporter.ts'
import {
  type CacheEvent,
  type CacheEventListener,
  type CacheEventType,
  type CacheStats,
  EventHub,
} from './events.ts'
import { readOrMiss, withTimeout, writeOrRefuse, writeOrThrow } from './failure-policy.ts'
import { KeyMemo, makeAndValidateKey, warnOnBadKey } from './key-maker.ts'
import {
  defaultKeyFunction,
  hasBadKeyChar,
  type KeyFunction,
  MEMCACHE_MAX_KEY_LENGTH,
  parseDefaultKey,
} from './keys.ts'
import { type Envelope, escapeEnvelope, isEnvelope, makeEnvelope, openEnvelope, STALE } from './envelope.ts'
import { type GetOrSetHost, type GetOrSetOptions, getOrSetWith } from './get-or-set.ts'
import { isLeaseKey, isLeaseRecord, LEASE_SUFFIX, leaseKeyFor, leaseToken } from './lease.ts'
import {
  isTagCounterKey,
  normalizeTags,
  type TagJudgement,
  type TagOpts,
  TagIndex,
  type TagSnapshot,
} from './tags.ts'
import type { Cache, CacheInit, EntriesOptions, EntryInfo, Timeout, VersionOpts } from './types.ts'
import type { StorableValue, ValueOrDefault } from './value-types.ts'

/** What a backend's `_get` returns for a live entry; `expiresAt` undefined means unknown. */
export interface StoredEntry {
  value: unknown
  /** Epoch ms, `null` for never, `undefined` when the backend cannot tell. */
  expiresAt: number | null | undefined
}

/** What a backend's `_entries` yields; expired entries are filtered out by `BaseCache`. */
export interface RawEntry {
  rawKey: string
  expiresAt: number | null
  size?: number
  value?: unknown
}

export type { CullableStore } from './cull.ts'

const NO_TAGS: readonly string[] = []

/** Per-call options of reads and writes: a version, and tags (docs/contract.md rule 17). */
type Opts = VersionOpts & TagOpts

function isIntegerValue(v: unknown): v is number | bigint {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint'
}

/** Add `delta` to a stored integer, as Django's `incr` does, rejecting non-integers (rule 7). */
export function addDelta(value: unknown, delta: number, callerKey: string): number {
  if (!isIntegerValue(value)) {
    throw new TypeError(`Cannot incr/decr '${callerKey}': the stored value is not an integer`)
  }
  if (typeof value === 'bigint') return (value + BigInt(delta)) as unknown as number
  const next = (value as number) + delta
  // Past 2^53 a number is no longer exact: refuse before anything is written (store a bigint
  // to count further; docs/contract.md rule 7).
  if (!Number.isSafeInteger(next))
    throw new RangeError(unsafeIncrMessage(callerKey, `${BigInt(value as number) + BigInt(delta)}`))
  return next
}

/** The message of the `RangeError` an `incr` past `Number.MAX_SAFE_INTEGER` rejects with. */
export function unsafeIncrMessage(callerKey: string, exact: string): string {
  return `Cannot incr/decr '${callerKey}': the result ${exact} is past Number.MAX_SAFE_INTEGER (store a bigint to count beyond 2^53)`
}

function checkDelta(delta: number): void {
  if (!Number.isSafeInteger(delta)) throw new TypeError(`delta must be a safe integer, got ${delta}`)
}

/**
 * The base class of every backend. Subclasses implement the `_`-prefixed primitives and may
 * override the optional ones (`_has`, `_getMany`, `_setMany`, `_deleteMany`, `_incr`,
 * `_moveVersion`, `_close`) with faster or atomic versions.
 */
export abstract class BaseCache implements Cache {
  /** The registered backend name; subclasses override. */
  static readonly backendName: string = 'base'
  /** Backend-specific option names (beyond maxEntries, cullFrequency, timeoutMs, ignoreErrors). */
  static readonly knownOptions: readonly string[] = []

  readonly alias: string
  readonly backendName: string
  readonly location: string | string[]
  /** Default timeout in seconds (`null`: never expires). */
  readonly defaultTimeout: number | null
  readonly keyPrefix: string
  readonly version: number
  readonly keyFunction: KeyFunction
  readonly options: Readonly<Record<string, unknown>>
  readonly maxEntries: number
  readonly cullFrequency: number
  readonly timeoutMs: number
  readonly ignoreErrors: boolean
  protected readonly clock: Clock
  /** True for backends whose storage can be unreachable (rule 15 applies to them). */
  protected readonly usesIO: boolean = false
  protected readonly events = new EventHub()
  /** Counters behind `stats()`; backends with their own fast paths update them directly. */
  protected readonly counters: CacheStats = emptyStats()
  /** Counts and emits for this cache (rule 13); built by the constructor. */
  private readonly report: EventReporter
  private readonly inflight = new Map<string, Promise<unknown>>()
  /** Tag counters in this cache's own store (docs/contract.md rule 17; tags.ts). */
  protected readonly tagIndex: TagIndex = new TagIndex({
    rawKeyOf: (k) => this.rawKey(k),
    getMany: (raws) => this._getMany(raws),
    add: (raw, v) => this._add(raw, v, null),
    set: (raw, v) => this._set(raw, v, null),
    incr: (raw, d) => this._incr(raw, d, raw),
  })

  /** Build from an alias's settings (validated; a bad value throws `ImproperlyConfigured`). */
  constructor(init: CacheInit = {}, alias = 'default') {
    const ctor = new.target as unknown as typeof BaseCache
    const r = resolveInit(alias, init, ctor)
    this.alias = alias
    this.backendName = ctor.backendName
    this.location = r.location
    this.defaultTimeout = r.timeout
    this.keyPrefix = r.keyPrefix
    this.version = r.version
    this.keyFunction = r.keyFunction
    this.options = r.options
    this.maxEntries = r.maxEntries
    this.keyMemo?.sizeFor(this.maxEntries)
    this.cullFrequency = r.cullFrequency
    this.timeoutMs = r.timeoutMs
    this.ignoreErrors = r.ignoreErrors
    this.clock = r.clock ?? systemClock
    this.report = new EventReporter(this.events, this.counters, {
      alias,
      backend: this.backendName,
      keyPrefix: this.keyPrefix,
      keyFunction: this.keyFunction,
      version: this.version,
      clock: this.clock,
    })
  }

  // ---- storage primitives (raw keys, absolute expiry in epoch ms) ----

  /** The live entry at `rawKey`, or `undefined`; an expired one is removed (call `noteExpired`). */
  protected abstract _get(rawKey: string): Promise<StoredEntry | undefined>
  /** Store unconditionally; `false` when the backend refused the value. */
  protected abstract _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean>
  /** Store only when missing or expired; say whether it did. */
  protected abstract _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean>
  /** Give a live entry a new expiry; `false` when missing or expired. */
  protected abstract _touch(rawKey: string, expiresAt: number | null): Promise<boolean>
  /** Remove; say whether something live was removed. */
  protected abstract _delete(rawKey: string): Promise<boolean>
  /** Empty the cache's location. */
  protected abstract _clear(): Promise<void>
  /**
   * Every stored entry (expired ones may be included; they are filtered here). With
   * `sizes: false`, `size` may be left out where measuring it costs an encoding.
   */
  protected abstract _entries(opts?: { sizes?: boolean }): AsyncIterable<RawEntry>

  /** Whether a live entry exists. */
  protected async _has(rawKey: string): Promise<boolean> {
    return (await this._get(rawKey)) !== undefined
  }

  /**
   * The entry at `rawKey` and the tag counters `counterKeys`, in one round trip where the
   * backend allows (rule 17). The default is one `_getMany` (one multi-get on memcached, one
   * query on db); the entry's expiry is then unknown.
   */
  protected async _getWithCounters(
    rawKey: string,
    counterKeys: string[],
  ): Promise<{ entry: StoredEntry | undefined; counters: Map<string, unknown> }> {
    const got = await this._getMany([rawKey, ...counterKeys])
    return {
      entry: got.has(rawKey) ? { value: got.get(rawKey), expiresAt: undefined } : undefined,
      counters: got,
    }
  }

  /**
   * The absolute expiry (epoch ms, `null` never) of the live entry at `rawKey`, for backends whose
   * `_get` cannot tell it (memcached, redis); `undefined` when unknown or missing. The `tiered`
   * backend uses it so an L1 copy never outlives the L2 entry (docs/contract.md rule 18). The
   * default reads the entry with `_get` (whose expiry locmem, db, file and indexeddb know).
   */
  protected async _expiryOf(rawKey: string): Promise<number | null | undefined> {
    return (await this._get(rawKey))?.expiresAt
  }

  /** Values of the live keys among `rawKeys`. Override for one round trip. */
  protected async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    for (const k of rawKeys) {
      const e = await this._get(k)
      if (e !== undefined) out.set(k, e.value)
    }
    return out
  }

  /** Store many; return the raw keys that failed. Override for one round trip. */
  protected async _setMany(pairs: Array<[string, unknown]>, expiresAt: number | null): Promise<string[]> {
    const failed: string[] = []
    for (const [k, v] of pairs) if (!(await this._set(k, v, expiresAt))) failed.push(k)
    return failed
  }

  /** Remove many. Override for one round trip. */
  protected async _deleteMany(rawKeys: string[]): Promise<void> {
    for (const k of rawKeys) await this._delete(k)
  }

  /**
   * Add `delta` and keep the expiry (rule 7). This generic version is NOT atomic; every built-in
   * backend overrides it. Throw `KeyNotFoundError(rawKey)`; the caller's key is put back here.
   */
  protected async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    const e = await this._get(rawKey)
    if (e === undefined) throw new KeyNotFoundError(rawKey)
    const next = addDelta(e.value, delta, callerKey)
    await this._set(rawKey, next, e.expiresAt === undefined ? this.expiryFor(undefined) : e.expiresAt)
    return next
  }

  /**
   * Move the live entry at `fromRaw` to `toRaw`, keeping its remaining expiry (rule 8); `false`
   * when `fromRaw` is missing. Backends may override to do it atomically.
   */
  protected async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const e = await this._get(fromRaw)
    if (e === undefined) return false
    const exp = e.expiresAt === undefined ? this.expiryFor(undefined) : e.expiresAt
    await this._set(toRaw, e.value, exp)
    if (fromRaw !== toRaw) await this._delete(fromRaw)
    return true
  }

  /** Release connections and handles; the cache reopens on next use. */
  protected async _close(): Promise<void> {}

  // ---- helpers for backends ----

  /** Now, in epoch ms, from the injected clock. */
  protected now(): number {
    return this.clock.now()
  }

  /** Whether an absolute expiry has passed (Django locmem: `exp <= now`). */
  protected isExpired(expiresAt: number | null | undefined): boolean {
    return expiresAt != null && expiresAt <= this.clock.now()
  }

  /**
   * Turn a timeout in seconds into an absolute expiry in epoch ms (django/core/cache/backends/base.py
   * `get_backend_timeout`): `undefined` → default, `null` → never, `0` → already expired.
   */
  expiryFor(timeout: Timeout): number | null {
    const t = timeout === undefined ? this.defaultTimeout : timeout
    if (t === null) return null
    if (typeof t !== 'number' || Number.isNaN(t)) {
      throw new TypeError(`timeout must be a number of seconds or null, got ${String(t)}`)
    }
    if (t <= 0) return this.clock.now() - 1000
    return this.clock.now() + t * 1000
  }

  /** Report an entry found expired by a read or a cull. */
  protected noteExpired(rawKey: string): void {
    this.report.expired(rawKey)
  }

  /** Report an entry removed by culling. */
  protected noteEvicted(rawKey: string): void {
    this.report.evicted(rawKey)
  }

  /** Report a storage failure (rule 15): counted and emitted as `error`. */
  protected noteError(error: unknown, rawKey?: string): void {
    this.report.error(error, rawKey)
  }

  /** Rule 11: call before storing a key that is not already live (see `cull.ts`). */
  protected cullBeforeInsert(store: CullableStore): Promise<void> {
    return cullBeforeInsert(store, this, this.clock, this.report)
  }

  /** Run a storage call under `timeoutMs` (rule 15); I/O backends only. */
  protected withTimeout<T>(op: Promise<T>, what: string): Promise<T> {
    if (!this.usesIO) return op
    return withTimeout(op, this, what)
  }

  private async read<T>(what: string, op: () => Promise<T>, miss: T, rawKey?: string): Promise<T> {
    if (!this.usesIO) return op()
    return readOrMiss(this.report, () => this.withTimeout(op(), what), miss, rawKey)
  }

  private async write(what: string, op: () => Promise<boolean>, rawKey?: string): Promise<boolean> {
    if (!this.usesIO) return op()
    return writeOrRefuse(this.report, this.ignoreErrors, () => this.withTimeout(op(), what), rawKey)
  }

  private async mustWrite<T>(what: string, op: () => Promise<T>, rawKey?: string): Promise<T> {
    if (!this.usesIO) return op()
    return writeOrThrow(this.report, () => this.withTimeout(op(), what), rawKey)
  }

  // ---- keys ----

  /** Apply the alias's key function with `version ?? this.version` (rule 1). */
  makeKey(key: string, version?: number): string {
    return this.keyFunction(key, this.keyPrefix, version ?? this.version)
  }

  /**
   * Warn (`CacheKeyWarning`, and a `warning` event) for a made key memcached could not take
   * (rule 2). Subclasses may throw `InvalidCacheKey` instead, as the memcached backend does.
   */
  validateKey(rawKey: string): void {
    warnOnBadKey(rawKey, this.report)
  }

  /** `makeKey` then `validateKey` (Django's `make_and_validate_key`; see `key-maker.ts`). */
  protected rawKey(key: string, version?: number): string {
    return makeAndValidateKey(this, this.keyMemo, key, version)
  }

  /**
   * Whether this backend memoises made keys (`KeyMemo`, default true); one that keeps its own
   * index from caller keys to entries (locmem) turns it off rather than hold both.
   */
  protected static readonly memoKeys: boolean = true

  /** Made keys of the default version (see `rawKey`); off when `validateKey` is overridden. */
  private readonly keyMemo: KeyMemo | undefined =
    this.memoisesKeys() && (this.constructor as typeof BaseCache).memoKeys ? new KeyMemo() : undefined

  /** True when a made key validated once need not be validated again (`validateKey` not overridden). */
  protected memoisesKeys(): boolean {
    return this.validateKey === BaseCache.prototype.validateKey
  }

  /** True for a made key the base validation passes silently (short, no control character). */
  protected cleanKey(rawKey: string): boolean {
    return rawKey.length <= MEMCACHE_MAX_KEY_LENGTH && !hasBadKeyChar(rawKey)
  }

  // ---- events ----

  /** Subscribe to one event type or `'*'`; returns the unsubscribe function (rule 13). */
  on(type: CacheEventType | '*', listener: CacheEventListener): () => void {
    return this.events.on(type, listener)
  }

  /** Counters since creation (rule 13). */
  stats(): CacheStats {
    return { ...this.counters }
  }

  protected emit(e: CacheEvent): void {
    this.events.emit(e)
  }

  // ---- the Cache interface ----

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
    // A stale envelope (rule 16) is a miss for `get`; a fresh one gives its value.
    const v = e === undefined ? STALE : openEnvelope(e.value, this.clock.now())
    if (v === STALE) {
      this.counters.misses++
      if (t0 !== undefined) this.report.key('miss', key, raw, opts?.version, t0)
      return defaultValue
    }
    this.counters.hits++
    if (t0 !== undefined) this.report.key('hit', key, raw, opts?.version, t0)
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
   * The stored entry at `rawKey` (an envelope stays an envelope), or `undefined` when it is
   * missing or carries tags that were invalidated since it was written (rule 17). `hint` tags
   * are fetched with the entry in one round trip. An entry soft-expired by `expireTags` comes
   * back as a stale envelope: stale since its tags' expiry time when `staleSince` is asked for
   * (one more round trip, on that path only; `getOrSet` needs it for its windows), else since
   * the epoch (every read but `getOrSet` treats stale as missing).
   */
  protected async readChecked(
    rawKey: string,
    hint?: Iterable<string>,
    staleSince = false,
  ): Promise<StoredEntry | undefined> {
    const tags = hint === undefined ? NO_TAGS : normalizeTags(hint)
    let entry: StoredEntry | undefined
    let counters: Map<string, unknown> | undefined
    if (tags.length > 0) {
      const r = await this._getWithCounters(rawKey, this.tagIndex.counterKeys(tags))
      entry = r.entry
      counters = r.counters
    } else entry = await this._get(rawKey)
    const v = entry?.value
    if (entry === undefined || !isEnvelope(v) || v.tags === undefined) return entry
    const j = (await this.tagIndex.judge([v.tags], counters))[0] as TagJudgement
    if (j.verdict === 'fresh') return entry
    if (j.verdict === 'gone') return undefined
    let since = 0
    if (staleSince) {
      const at = await this.tagIndex.staleSince(j.staleTags)
      if (at === undefined) return undefined // its expiry time was evicted: fail safe
      since = at
    }
    const soft = v.softExpiresAt == null ? since : Math.min(v.softExpiresAt, since)
    return { ...entry, value: { ...v, softExpiresAt: soft } }
  }

  /** Whether a stored value's tags (if any) are all still current: not invalidated, not expired (rule 17). */
  protected async tagsCurrent(stored: unknown): Promise<boolean> {
    if (!isEnvelope(stored) || stored.tags === undefined) return true
    return this.tagIndex.isCurrent(stored.tags)
  }

  /** What a write stores for `value`: an envelope with the current versions of `tags` (rule 17), or the value (escaped). */
  private async stored(value: unknown, tags: readonly string[]): Promise<unknown> {
    // Returned from an async function a thenable would be awaited and its result stored: refuse
    // it as structured clone refuses a Promise (docs/contract.md rule 12).
    if (typeof (value as { then?: unknown } | null)?.then === 'function') {
      throw new TypeError('cachework cannot store a Promise or thenable: await it and store the result')
    }
    if (tags.length === 0) return escapeEnvelope(value)
    return makeEnvelope(value, { tags: await this.tagIndex.snapshot(tags) })
  }

  async set<T>(key: string, value: StorableValue<T>, timeout?: Timeout, opts?: Opts): Promise<boolean> {
    const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
    const raw = this.rawKey(key, opts?.version)
    const exp = this.expiryFor(timeout)
    const t0 = this.events.active ? this.clock.now() : undefined
    // Rule 3: a timeout of 0 or less leaves nothing readable and removes an older value.
    const ok = await this.write(
      'set',
      async () =>
        exp !== null && exp <= this.clock.now()
          ? this.expireNow(raw, value)
          : this._set(raw, await this.stored(value, tags), exp),
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
    const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
    const raw = this.rawKey(key, opts?.version)
    const exp = this.expiryFor(timeout)
    const ok = await this.write(
      'add',
      async () => {
        if (exp !== null && exp <= this.clock.now()) {
          if (await this._hasFresh(raw)) return false
          return this.expireNow(raw, value)
        }
        return this.addReplacingDead(raw, await this.stored(value, tags), exp)
      },
      raw,
    )
    if (ok) {
      this.counters.sets++
      if (this.events.active) this.report.key('set', key, raw, opts?.version)
    }
    return ok
  }

  /**
   * `_add`, where an entry whose tags were invalidated counts as missing (rule 17): else a
   * `getOrSet` would recompute on every call until the dead entry's own expiry.
   */
  private async addReplacingDead(raw: string, stored: unknown, exp: number | null): Promise<boolean> {
    if (await this._add(raw, stored, exp)) return true
    const cur = await this._get(raw)
    if (cur === undefined || !isEnvelope(cur.value) || (await this.tagsCurrent(cur.value))) return false
    await this._delete(raw)
    return this._add(raw, stored, exp)
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
    if (ok) {
      this.counters.deletes++
      if (this.events.active) this.report.key('delete', key, raw, opts?.version)
    }
    return ok
  }

  async has(key: string, opts?: VersionOpts): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    return this.read('has', () => this._hasFresh(raw), false, raw)
  }

  async getMany<T = unknown>(keys: Iterable<string>, opts?: VersionOpts): Promise<Record<string, T>> {
    const byRaw = new Map<string, string>()
    for (const k of keys) byRaw.set(this.rawKey(k, opts?.version), k)
    const out: Record<string, T> = {}
    if (byRaw.size === 0) return out
    const found = await this.read(
      'getMany',
      async () => this.dropInvalidated(await this._getMany([...byRaw.keys()])),
      new Map<string, unknown>(),
    )
    const now = this.clock.now()
    for (const [raw, key] of byRaw) {
      const v = found.has(raw) ? openEnvelope(found.get(raw), now) : STALE
      if (v !== STALE) {
        this.counters.hits++
        // A key named `__proto__` is an own property, never the result's prototype.
        if (key === '__proto__')
          Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true })
        else out[key] = v as T
        if (this.events.active) this.report.key('hit', key, raw, opts?.version)
      } else {
        this.counters.misses++
        if (this.events.active) this.report.key('miss', key, raw, opts?.version)
      }
    }
    return out
  }

  /** Remove from `found` the entries whose tags were invalidated: one more `getMany` at most (rule 17). */
  private async dropInvalidated(found: Map<string, unknown>): Promise<Map<string, unknown>> {
    const keys: string[] = []
    const snaps: TagSnapshot[] = []
    for (const [k, v] of found) {
      if (isEnvelope(v) && v.tags !== undefined) {
        keys.push(k)
        snaps.push(v.tags as TagSnapshot)
      }
    }
    if (keys.length === 0) return found
    const verdicts = await this.tagIndex.currentMany(snaps)
    keys.forEach((k, i) => {
      if (!verdicts[i]) found.delete(k)
    })
    return found
  }

  async setMany<E extends Record<string, unknown> | Iterable<readonly [string, unknown]>>(
    entries: StorableValue<E>,
    timeout?: Timeout,
    opts?: Opts,
  ): Promise<string[]> {
    const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
    const iter: Iterable<[string, unknown]> =
      Symbol.iterator in Object(entries) && !isPlainRecord(entries)
        ? (entries as Iterable<[string, unknown]>)
        : Object.entries(entries as Record<string, unknown>)
    const pairs: Array<[string, unknown]> = []
    const byRaw = new Map<string, string>()
    for (const [k, v] of iter) {
      const raw = this.rawKey(k, opts?.version)
      byRaw.set(raw, k)
      pairs.push([raw, tags.length > 0 ? v : escapeEnvelope(v)])
    }
    if (pairs.length === 0) return []
    const exp = this.expiryFor(timeout)
    let failedRaw: string[]
    try {
      failedRaw = await this.mustWrite('setMany', async () => {
        if (exp !== null && exp <= this.clock.now()) {
          for (const [, v] of pairs) isolatedCopy(v)
          await this._deleteMany(pairs.map((p) => p[0]))
          return []
        }
        if (tags.length > 0) {
          const snap = await this.tagIndex.snapshot(tags)
          return this._setMany(
            pairs.map(([k, v]) => [k, makeEnvelope(v, { tags: snap })]),
            exp,
          )
        }
        return this._setMany(pairs, exp)
      })
    } catch (e) {
      if (e instanceof CacheUnavailableError && this.ignoreErrors) return [...byRaw.values()]
      throw e
    }
    const failed = new Set(failedRaw)
    for (const [raw, key] of byRaw) {
      if (failed.has(raw)) continue
      this.counters.sets++
      if (this.events.active) this.report.key('set', key, raw, opts?.version)
    }
    return failedRaw.map((r) => byRaw.get(r) ?? r)
  }

  async deleteMany(keys: Iterable<string>, opts?: VersionOpts): Promise<void> {
    const byRaw = new Map<string, string>()
    for (const k of keys) byRaw.set(this.rawKey(k, opts?.version), k)
    if (byRaw.size === 0) return
    await this.write('deleteMany', async () => {
      await this._deleteMany([...byRaw.keys()])
      return true
    })
    this.counters.deletes += byRaw.size
    if (this.events.active) for (const [raw, key] of byRaw) this.report.key('delete', key, raw, opts?.version)
  }

  async incr(key: string, delta = 1, opts?: VersionOpts): Promise<number> {
    checkDelta(delta)
    const raw = this.rawKey(key, opts?.version)
    try {
      const n = await this.mustWrite('incr', () => this._incr(raw, delta, key), raw)
      this.counters.sets++
      if (this.events.active) this.report.key('set', key, raw, opts?.version)
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

  /** Rewrite the entry as a stale envelope with the same physical expiry. Override when `_get` cannot tell it. */
  protected async _expire(rawKey: string): Promise<boolean> {
    const e = await this._get(rawKey)
    if (e === undefined) return false
    return this._set(rawKey, this.staleEnvelope(e.value), e.expiresAt ?? this.expiryFor(undefined))
  }

  /** The envelope `expire` stores for a stored value: soft-expired now. */
  protected staleEnvelope(stored: unknown): Envelope {
    const now = this.clock.now()
    return isEnvelope(stored)
      ? { ...stored, softExpiresAt: Math.min(now, stored.softExpiresAt ?? now) }
      : makeEnvelope(stored, { softExpiresAt: now })
  }

  /** Whether a live, fresh entry exists (`has`); stale envelopes do not count (rule 16). */
  protected async _hasFresh(rawKey: string): Promise<boolean> {
    const e = await this._get(rawKey)
    if (e === undefined || openEnvelope(e.value, this.clock.now()) === STALE) return false
    return this.tagsCurrent(e.value) // has() agrees with get() after an invalidation (rule 17)
  }

  /**
   * Try to take the lease on `rawKey` for `ttlMs` (rule 16): a token when this caller won it,
   * `undefined` when someone else holds it. This default `add`s a lease item beside the entry,
   * atomic wherever the backend's `add` is; backends override it with a native primitive.
   */
  async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    const token = leaseToken()
    const until = this.clock.now() + ttlMs
    const won = await this.mustWrite('acquireLease', () =>
      this._add(leaseKeyFor(rawKey), { token, until }, until),
    )
    return won ? token : undefined
  }

  /** Give back a lease taken with `acquireLease`; a lease that ran out and was retaken is left alone. */
  async releaseLease(rawKey: string, token: string): Promise<void> {
    const lk = leaseKeyFor(rawKey)
    await this.mustWrite('releaseLease', async () => {
      const e = await this._get(lk)
      if (e !== undefined && isLeaseRecord(e.value) && e.value.token === token) await this._delete(lk)
    })
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
        const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
        return tags.length === 0 ? undefined : this.mustWrite('getOrSet', () => this.tagIndex.snapshot(tags))
      },
      add: (k, v, t, o) => this.add(k, v, t, o),
      set: (k, v, t, o) => this.set(k, v, t, o),
      storeEnvelope: async (key, raw, env, exp, mode, opts) => {
        const op = () => (mode === 'add' ? this.addReplacingDead(raw, env, exp) : this._set(raw, env, exp))
        const ok = await this.write('set', op, raw)
        if (ok) {
          this.counters.sets++
          if (this.events.active) this.report.key('set', key, raw, opts?.version)
        }
        return ok
      },
      acquireLease: (raw, ms) => this.acquireLease(raw, ms),
      releaseLease: (raw, token) => this.releaseLease(raw, token),
      note: (type, key, raw, opts) => {
        if (type === 'hit') this.counters.hits++
        else this.counters.misses++
        if (this.events.active) this.report.key(type, key, raw, opts?.version)
      },
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
    const limit = opts.limit ?? Number.POSITIVE_INFINITY
    if (limit <= 0) return
    const parse = this.keyFunction === defaultKeyFunction
    let n = 0
    const now = this.clock.now()
    // Tag counters seen during this listing (raw key → value), so each is read once (rule 17).
    const counters = new Map<string, unknown>()
    for await (const e of this._entries(opts.sizes === false ? { sizes: false } : undefined)) {
      if (this.isExpired(e.expiresAt)) continue
      // Tag counters are bookkeeping, not entries; invalidated entries are not live (rule 17).
      if (isTagCounterKey(e.rawKey)) continue
      let tags: string[] | undefined
      let tagVerdict: TagJudgement['verdict'] | undefined
      if (isEnvelope(e.value) && e.value.tags !== undefined) {
        tags = Object.keys(e.value.tags)
        const need = this.tagIndex.counterKeys(tags).filter((r) => !counters.has(r))
        if (need.length > 0) {
          const got = await this._getMany(need)
          for (const r of need) counters.set(r, got.get(r))
        }
        tagVerdict = (await this.tagIndex.judge([e.value.tags], counters))[0]?.verdict
        if (tagVerdict === 'gone') continue
      }
      const info: EntryInfo = { rawKey: e.rawKey, expiresAt: e.expiresAt }
      const lease = isLeaseKey(e.rawKey)
      if (parse) {
        const p = parseDefaultKey(lease ? e.rawKey.slice(0, -LEASE_SUFFIX.length) : e.rawKey, this.keyPrefix)
        if (!p) continue
        info.key = p.key
        info.version = p.version
      }
      if (opts.prefix !== undefined && !(info.key ?? info.rawKey).startsWith(opts.prefix)) continue
      if (e.size !== undefined) info.size = e.size
      if (lease) {
        // A lease item (rule 16): who is computing this key, not a value.
        info.state = 'leased'
        if (isLeaseRecord(e.value)) info.leaseHolder = e.value.token
      } else if ('value' in e) {
        const env = isEnvelope(e.value) ? e.value : undefined
        info.value = env ? env.value : e.value
        info.state = this.refreshing.has(e.rawKey)
          ? 'refreshing'
          : tagVerdict === 'stale' || (env && env.softExpiresAt != null && env.softExpiresAt <= now)
            ? 'stale'
            : 'fresh'
        if (env?.softExpiresAt != null) info.softExpiresAt = env.softExpiresAt
      }
      if (tags !== undefined) info.tags = tags
      yield info
      if (++n >= limit) return
    }
  }
}

function isPlainRecord(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  const p = Object.getPrototypeOf(v)
  return p === Object.prototype || p === null
}
