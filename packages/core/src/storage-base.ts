/**
 * `StorageBase`: the half of `BaseCache` a backend author works against (docs/contract.md §2).
 * A backend implements a handful of storage primitives on made ("raw") keys and absolute expiry
 * times; this class holds the alias's settings, the primitives with their generic defaults, and
 * the helpers a backend calls: the clock and expiry arithmetic (rule 3), key making and
 * validation (`key-maker.ts`, rules 1 and 2), the failure policy (`failure-policy.ts`, rule 15),
 * culling (`cull.ts`, rule 11) and the event reporter (`event-reporter.ts`, rule 13).
 * `BaseCache` (base-cache.ts) builds the public `Cache` methods on it.
 */
import { type Clock, systemClock } from './clock.ts'
import { resolveInit } from './config.ts'
import { type CullableStore, cullBeforeInsert } from './cull.ts'
import { addDelta } from './delta.ts'
import { type Envelope, softExpired } from './envelope.ts'
import { KeyNotFoundError } from './errors.ts'
import { EventReporter, emptyStats } from './event-reporter.ts'
import {
  type CacheEvent,
  type CacheEventListener,
  type CacheEventType,
  type CacheStats,
  EventHub,
} from './events.ts'
import { readOrMiss, withTimeout, writeOrRefuse, writeOrThrow } from './failure-policy.ts'
import { makeAndValidateKey, plainKeyChars, warnOnBadKey } from './key-maker.ts'
import { defaultKeyFunction, hasBadKeyChar, type KeyFunction, MEMCACHE_MAX_KEY_LENGTH } from './keys.ts'
import { addLease, type LeaseStore, leaseToken, removeLease } from './lease.ts'
import type { CacheInit, Timeout } from './types.ts'

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

/** The counter behind each counted operation (`stats()`). */
const COUNTED = { hit: 'hits', miss: 'misses', set: 'sets', delete: 'deletes' } as const

/**
 * The storage side of every backend (backends extend `BaseCache`, which extends this).
 * Subclasses implement the `_`-prefixed primitives and may override the optional ones (`_has`,
 * `_getMany`, `_setMany`, `_deleteMany`, `_incr`, `_moveVersion`, `_close`) with faster or
 * atomic versions.
 */
export abstract class StorageBase {
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
  protected readonly report: EventReporter

  /** Build from an alias's settings (validated; a bad value throws `ImproperlyConfigured`). */
  constructor(init: CacheInit = {}, alias = 'default') {
    const ctor = new.target as unknown as typeof StorageBase
    const r = resolveInit(alias, init, ctor)
    this.alias = alias
    this.backendName = ctor.backendName
    this.location = r.location
    this.defaultTimeout = r.timeout
    this.keyPrefix = r.keyPrefix
    this.version = r.version
    this.keyFunction = r.keyFunction
    this.keyHead = r.keyFunction === defaultKeyFunction ? `${r.keyPrefix}:${r.version}:` : undefined
    // After the field initialisers (`plainValidation`), so both are known here.
    this.cleanHead =
      this.keyHead !== undefined && this.plainValidation && plainKeyChars(this.keyHead)
        ? this.keyHead
        : undefined
    this.options = r.options
    this.maxEntries = r.maxEntries
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

  /** Rewrite the entry as a stale envelope with the same physical expiry. Override when `_get` cannot tell it. */
  protected async _expire(rawKey: string): Promise<boolean> {
    const e = await this._get(rawKey)
    if (e === undefined) return false
    return this._set(rawKey, this.staleEnvelope(e.value), e.expiresAt ?? this.expiryFor(undefined))
  }

  /** The envelope `expire` stores for a stored value: soft-expired now. */
  protected staleEnvelope(stored: unknown): Envelope {
    return softExpired(stored, this.clock.now())
  }

  /**
   * Try to take the lease on `rawKey` for `ttlMs` (rule 16): a token when this caller won it,
   * `undefined` when someone else holds it. This default `add`s a lease item beside the entry,
   * atomic wherever the backend's `add` is; backends override it with a native primitive.
   */
  async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    const token = leaseToken()
    const until = this.clock.now() + ttlMs
    const won = await this.mustWrite('acquireLease', () => addLease(this.leaseStore, rawKey, token, until))
    return won ? token : undefined
  }

  /** Give back a lease taken with `acquireLease`; a lease that ran out and was retaken is left alone. */
  async releaseLease(rawKey: string, token: string): Promise<void> {
    await this.mustWrite('releaseLease', () => removeLease(this.leaseStore, rawKey, token))
  }

  /** This cache's primitives as the default lease uses them. */
  private readonly leaseStore: LeaseStore = {
    add: (raw, v, exp) => this._add(raw, v, exp),
    get: (raw) => this._get(raw),
    delete: (raw) => this._delete(raw),
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
    return this.expiryAt(timeout, undefined)
  }

  /** `expiryFor` from the clock reading `now` (read here when not given, and only for a timeout). */
  protected expiryAt(timeout: Timeout, now: number | undefined): number | null {
    const t = timeout === undefined ? this.defaultTimeout : timeout
    if (t === null) return null
    if (typeof t !== 'number' || Number.isNaN(t)) {
      throw new TypeError(`timeout must be a number of seconds or null, got ${String(t)}`)
    }
    const at = now ?? this.clock.now()
    return t <= 0 ? at - 1000 : at + t * 1000
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

  // Not `async`: each returns the policy's own promise, where an async wrapper returning it would
  // cost a promise and two more microtasks per call. A synchronous throw becomes a rejection.

  /** A read under the failure policy (rule 15): an unreachable store is a miss (`miss`). */
  protected read<T>(what: string, op: () => Promise<T>, miss: T, rawKey?: string): Promise<T> {
    try {
      if (!this.usesIO) return op()
      return readOrMiss(this.report, () => this.withTimeout(op(), what), miss, rawKey)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** A write under the failure policy (rule 15): refused (`false`) with `ignoreErrors`, else it throws. */
  protected write(what: string, op: () => Promise<boolean>, rawKey?: string): Promise<boolean> {
    try {
      if (!this.usesIO) return op()
      return writeOrRefuse(this.report, this.ignoreErrors, () => this.withTimeout(op(), what), rawKey)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** A write that must not be silently refused (rule 15): an unreachable store throws. */
  protected mustWrite<T>(what: string, op: () => Promise<T>, rawKey?: string): Promise<T> {
    try {
      if (!this.usesIO) return op()
      return writeOrThrow(this.report, () => this.withTimeout(op(), what), rawKey)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Count one key operation and report it when someone listens (rule 13). */
  protected counted(
    type: 'hit' | 'miss' | 'set' | 'delete',
    key: string,
    rawKey: string,
    version?: number,
  ): void {
    this.counters[COUNTED[type]]++
    if (this.events.active) this.report.key(type, key, rawKey, version)
  }

  // ---- keys ----

  /** Apply the alias's key function with `version ?? this.version` (rule 1). */
  makeKey(key: string, version?: number): string {
    // The default key function at the default version: one concatenation.
    if (this.keyHead !== undefined && (version === undefined || version === this.version)) {
      return this.keyHead + key
    }
    return this.keyFunction(key, this.keyPrefix, version ?? this.version)
  }

  /** `defaultKeyFunction`'s `${keyPrefix}:${version}:` for the default version, when that is the key function. */
  private readonly keyHead: string | undefined

  /**
   * Warn (`CacheKeyWarning`, and a `warning` event) for a made key memcached could not take
   * (rule 2). Subclasses may throw `InvalidCacheKey` instead, as the memcached backend does.
   */
  validateKey(rawKey: string): void {
    warnOnBadKey(rawKey, this.report)
  }

  /** `makeKey` then `validateKey` (Django's `make_and_validate_key`; see `key-maker.ts`). */
  protected rawKey(key: string, version?: number): string {
    // The default key function at the default version with the base validation: the made key
    // is `keyHead + key`, and `keyHead` was found clean once, so only the caller's key needs
    // the character loop. It is a flat string, where the made key is a cons string whose every
    // `charCodeAt` walks the concatenation (callgrind: ~2,100 instructions per key of a
    // redis `getMany(100)` went to this loop on the made key). Anything else: the exact path.
    const head = this.cleanHead
    if (
      head !== undefined &&
      version === undefined &&
      typeof key === 'string' &&
      head.length + key.length <= MEMCACHE_MAX_KEY_LENGTH &&
      plainKeyChars(key)
    ) {
      return head + key
    }
    return makeAndValidateKey(this, this.plainValidation, key, version)
  }

  /**
   * `rawKey` of each of `keys`, written to `into[at + i]` (a batch: `getMany`). On the fast
   * path of `rawKey` (the default key function at the default version, the base validation)
   * the caller's keys are checked together: concatenated and given one `plainKeyChars` (one
   * regex scan), which refuses exactly the characters it refuses in any one of them, where a
   * character loop per key cost ~200 instructions per key of 6-7 characters (callgrind, redis
   * `getMany(100)`). When the batch is not all plain, every key takes `rawKey` in order, so
   * the same key throws first and the same warnings are emitted, each once.
   */
  protected rawKeysInto(
    keys: readonly string[],
    version: number | undefined,
    into: string[],
    at: number,
  ): void {
    const head = this.cleanHead
    const n = keys.length
    if (head !== undefined && version === undefined) {
      const max = MEMCACHE_MAX_KEY_LENGTH - head.length
      let all = ''
      let i = 0
      for (; i < n; i++) {
        const k = keys[i]
        if (typeof k !== 'string' || k.length > max) break
        all += k
        into[at + i] = head + k
      }
      if (i === n && plainKeyChars(all)) return
    }
    for (let i = 0; i < n; i++) into[at + i] = this.rawKey(keys[i] as string, version)
  }

  /** `keyHead` when the base validation applies and the head holds no character `plainKeyChars` refuses. */
  private readonly cleanHead: string | undefined

  /** Whether `validateKey` is the base one (a clean made key then needs no call). */
  private readonly plainValidation: boolean = this.memoisesKeys()

  /** True when a made key validated once need not be validated again (`validateKey` not overridden). */
  protected memoisesKeys(): boolean {
    return this.validateKey === StorageBase.prototype.validateKey
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
}
