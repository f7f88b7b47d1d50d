/**
 * `BaseCache`: everything a backend shares (API.md §2). A backend implements a handful of
 * storage primitives on made ("raw") keys and absolute expiry times; this class does keying,
 * validation, timeouts, versions, single-flight `getOrSet`, events, stats, failure handling
 * (rule 15) and the culling policy (rule 11), following Django's `BaseCache`
 * (django-cache.md §1) except where the contract says otherwise.
 */
import { type Clock, systemClock } from './clock.ts'
import { resolveInit } from './config.ts'
import { CACHE_KEY_WARNING, CacheUnavailableError, InvalidCacheKey, KeyNotFoundError } from './errors.ts'
import {
  type CacheEvent,
  type CacheEventListener,
  type CacheEventType,
  type CacheStats,
  EventHub,
} from './events.ts'
import {
  defaultKeyFunction,
  hasBadKeyChar,
  type KeyFunction,
  MEMCACHE_MAX_KEY_LENGTH,
  memcacheKeyWarnings,
  parseDefaultKey,
} from './keys.ts'
import { isolatedCopy } from './clone.ts'
import {
  isTagCounterKey,
  isTagged,
  normalizeTags,
  type TagOpts,
  TagIndex,
  type TagSnapshot,
  wrapTagged,
} from './tags.ts'
import type { Cache, CacheInit, EntryInfo, Timeout, VersionOpts } from './types.ts'

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

/** The storage a backend hands to `BaseCache.cullBeforeInsert` (API.md rule 11). */
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

/** How many made keys `rawKey` remembers before starting over. */
const KEY_MEMO_SIZE = 4096

const MISSING: unique symbol = Symbol('cachework.missing')
const NO_TAGS: readonly string[] = []

/** Per-call options of reads and writes: a version, and tags (rule 17). */
type Opts = VersionOpts & TagOpts

function isIntegerValue(v: unknown): v is number | bigint {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint'
}

/** Add `delta` to a stored integer, as Django's `incr` does, rejecting non-integers (rule 7). */
export function addDelta(value: unknown, delta: number, callerKey: string): number {
  if (!isIntegerValue(value)) {
    throw new TypeError(`Cannot incr/decr '${callerKey}': the stored value is not an integer`)
  }
  return (typeof value === 'bigint' ? value + BigInt(delta) : value + delta) as number
}

function checkDelta(delta: number): void {
  if (!Number.isSafeInteger(delta)) throw new TypeError(`delta must be a safe integer, got ${delta}`)
}

const emitWarning: (message: string) => void = (() => {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, n: string) => void } }).process
  if (proc && typeof proc.emitWarning === 'function') {
    return (m: string) => proc.emitWarning?.(m, CACHE_KEY_WARNING)
  }
  return (m: string) => console.warn(`${CACHE_KEY_WARNING}: ${m}`)
})()

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
  protected readonly counters: CacheStats = {
    hits: 0,
    misses: 0,
    sets: 0,
    deletes: 0,
    evictions: 0,
    expirations: 0,
    errors: 0,
  }
  private readonly inflight = new Map<string, Promise<unknown>>()
  /** Tag counters in this cache's own store (docs/contract.md rule 17). */
  protected readonly tagIndex: TagIndex = new TagIndex({
    rawKeyOf: (k) => this.rawKey(k),
    getMany: (raws) => this._getMany(raws),
    add: (raw, v) => this._add(raw, v, null),
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
    this.cullFrequency = r.cullFrequency
    this.timeoutMs = r.timeoutMs
    this.ignoreErrors = r.ignoreErrors
    this.clock = r.clock ?? systemClock
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
  /** Every stored entry (expired ones may be included; they are filtered here). */
  protected abstract _entries(): AsyncIterable<RawEntry>

  /** Whether a live entry exists. */
  protected async _has(rawKey: string): Promise<boolean> {
    return (await this._get(rawKey)) !== undefined
  }

  /** The live entry at `rawKey` without counting as use (for `has`); default `_get`. */
  protected async _peek(rawKey: string): Promise<StoredEntry | undefined> {
    return this._get(rawKey)
  }

  /**
   * The entry at `rawKey` and the tag counters `counterKeys`, in one round trip where the
   * backend allows (rule 17); the default is one `_getMany`, which is one multi-get on
   * memcached and one query on db.
   */
  protected async _getWithCounters(
    rawKey: string,
    counterKeys: string[],
  ): Promise<{ value: unknown; found: boolean; counters: Map<string, unknown> }> {
    const got = await this._getMany([rawKey, ...counterKeys])
    return { value: got.get(rawKey), found: got.has(rawKey), counters: got }
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
   * Turn a timeout in seconds into an absolute expiry in epoch ms (django-cache.md §1.5
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
    this.counters.expirations++
    if (this.events.active) this.emitRaw('expire', rawKey)
  }

  /** Report an entry removed by culling. */
  protected noteEvicted(rawKey: string): void {
    this.counters.evictions++
    if (this.events.active) this.emitRaw('evict', rawKey)
  }

  /** Report a storage failure (rule 15): counted and emitted as `error`. */
  protected noteError(error: unknown, rawKey?: string): void {
    this.counters.errors++
    if (this.events.active) {
      this.emitRaw('error', rawKey, {
        error,
        message: error instanceof Error ? error.message : String(error),
      })
    }
  }

  /**
   * Rule 11: call before storing a key that is not already live. Removes expired entries, then,
   * if still at or over `maxEntries`, `floor(count / cullFrequency)` entries (at least one, so a
   * huge cullFrequency cannot let the store grow without bound), or all when it is 0.
   */
  protected async cullBeforeInsert(store: CullableStore): Promise<void> {
    let n = await store.size()
    if (n < this.maxEntries) return
    const onExpired = this.events.active ? (k: string) => this.emitRaw('expire', k) : undefined
    const expired = await store.removeExpired(this.clock.now(), onExpired)
    this.counters.expirations += expired
    n -= expired
    if (n < this.maxEntries) return
    if (this.cullFrequency === 0) {
      this.counters.evictions += await store.removeAll()
      if (this.events.active)
        this.emit({ type: 'evict', alias: this.alias, backend: this.backendName, at: this.clock.now() })
      return
    }
    const onEvicted = this.events.active ? (k: string) => this.emitRaw('evict', k) : undefined
    this.counters.evictions += await store.removeSome(
      Math.max(1, Math.floor(n / this.cullFrequency)),
      onEvicted,
    )
  }

  /** Run a storage call under `timeoutMs` (rule 15); I/O backends only. */
  protected withTimeout<T>(op: Promise<T>, what: string): Promise<T> {
    if (!this.usesIO) return op
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CacheUnavailableError(
              `${this.backendName} cache '${this.alias}' did not answer ${what} within ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      )
    })
    return Promise.race([op, timeout]).finally(() => clearTimeout(timer))
  }

  private async read<T>(what: string, op: () => Promise<T>, miss: T, rawKey?: string): Promise<T> {
    if (!this.usesIO) return op()
    try {
      return await this.withTimeout(op(), what)
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) throw e
      this.noteError(e, rawKey)
      return miss
    }
  }

  private async write(what: string, op: () => Promise<boolean>, rawKey?: string): Promise<boolean> {
    if (!this.usesIO) return op()
    try {
      return await this.withTimeout(op(), what)
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) throw e
      this.noteError(e, rawKey)
      if (this.ignoreErrors) return false
      throw e
    }
  }

  private async mustWrite<T>(what: string, op: () => Promise<T>, rawKey?: string): Promise<T> {
    if (!this.usesIO) return op()
    try {
      return await this.withTimeout(op(), what)
    } catch (e) {
      if (e instanceof CacheUnavailableError) this.noteError(e, rawKey)
      throw e
    }
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
    // Fast path: most keys are short and clean.
    if (rawKey.length <= MEMCACHE_MAX_KEY_LENGTH && !hasBadKeyChar(rawKey)) return
    for (const message of memcacheKeyWarnings(rawKey)) {
      emitWarning(message)
      if (this.events.active) this.emitRaw('warning', rawKey, { message })
    }
  }

  /** `makeKey` then `validateKey` (Django's `make_and_validate_key`). */
  protected rawKey(key: string, version?: number): string {
    if (version === undefined || version === this.version) {
      // Memo of made keys for the default version: a repeated key skips building a new string,
      // and the memoised one keeps its hash, so the store's Map lookup is cheaper too. Only
      // keys that passed the base validation silently are kept, so a bad key still warns on
      // every use (Django warns per call) and an overridden validateKey still runs every time.
      const hit = this.keyMemo?.get(key)
      if (hit !== undefined) return hit
    }
    if (typeof key !== 'string') {
      throw new InvalidCacheKey(`Cache keys must be strings, got ${typeof key}`)
    }
    const raw = this.makeKey(key, version)
    this.validateKey(raw)
    if (
      (version === undefined || version === this.version) &&
      this.keyMemo !== undefined &&
      raw.length <= MEMCACHE_MAX_KEY_LENGTH &&
      !hasBadKeyChar(raw)
    ) {
      if (this.keyMemo.size >= KEY_MEMO_SIZE) this.keyMemo.clear()
      this.keyMemo.set(key, raw)
    }
    return raw
  }

  /** Made keys of the default version (see `rawKey`); off when `validateKey` is overridden. */
  private readonly keyMemo: Map<string, string> | undefined =
    this.validateKey === BaseCache.prototype.validateKey ? new Map() : undefined

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

  private emitRaw(
    type: CacheEventType,
    rawKey: string | undefined,
    extra?: Partial<CacheEvent>,
    key?: string,
    version?: number,
  ): void {
    const e: CacheEvent = { type, alias: this.alias, backend: this.backendName, at: this.clock.now() }
    if (rawKey !== undefined) {
      e.rawKey = rawKey
      if (key !== undefined) {
        e.key = key
        e.version = version ?? this.version
      } else if (this.keyFunction === defaultKeyFunction) {
        const p = parseDefaultKey(rawKey, this.keyPrefix)
        if (p) {
          e.key = p.key
          e.version = p.version
        }
      }
    }
    if (extra) Object.assign(e, extra)
    this.events.emit(e)
  }

  private emitKey(
    type: CacheEventType,
    key: string,
    rawKey: string,
    opts: VersionOpts | undefined,
    t0?: number,
  ): void {
    this.emitRaw(
      type,
      rawKey,
      t0 === undefined ? undefined : { durationMs: this.clock.now() - t0 },
      key,
      opts?.version,
    )
  }

  // ---- the Cache interface ----

  /**
   * The live value, or `defaultValue`. `opts.tags`, when given, are the tags the caller expects
   * the entry to carry: their counters are fetched with the entry in one round trip (rule 17).
   */
  get<T = unknown>(key: string, defaultValue?: T, opts?: Opts): Promise<T | undefined> {
    return this.getCounted(key, defaultValue, opts)
  }

  private async getCounted<T>(
    key: string,
    defaultValue: T | undefined,
    opts: Opts | undefined,
    counters?: Map<string, unknown>,
  ): Promise<T | undefined> {
    const raw = this.rawKey(key, opts?.version)
    const t0 = this.events.active ? this.clock.now() : undefined
    const e = await this.read('get', () => this.readLive(raw, opts?.tags, false, counters), undefined, raw)
    if (e === undefined) {
      this.counters.misses++
      if (t0 !== undefined) this.emitKey('miss', key, raw, opts, t0)
      return defaultValue
    }
    this.counters.hits++
    if (t0 !== undefined) this.emitKey('hit', key, raw, opts, t0)
    return e.value as T
  }

  /**
   * The live entry at `rawKey`, a tagged envelope opened: one whose tags were invalidated is a
   * miss (rule 17). `hint` tags are fetched with the entry in one round trip (their counter
   * values are copied into `counters` when given); `quiet` reads without counting as use.
   */
  protected async readLive(
    rawKey: string,
    hint?: Iterable<string>,
    quiet = false,
    counters?: Map<string, unknown>,
  ): Promise<StoredEntry | undefined> {
    const tags = hint === undefined ? NO_TAGS : normalizeTags(hint)
    if (tags.length > 0) {
      const r = await this._getWithCounters(rawKey, this.tagIndex.counterKeys(tags))
      if (counters) for (const [k, v] of r.counters) if (k !== rawKey) counters.set(k, v)
      if (!r.found) return undefined
      if (!isTagged(r.value)) return { value: r.value, expiresAt: undefined }
      const live = await this.tagIndex.isCurrent(r.value.tags, r.counters)
      return live ? { value: r.value.value, expiresAt: undefined } : undefined
    }
    const e = quiet ? await this._peek(rawKey) : await this._get(rawKey)
    if (e === undefined || !isTagged(e.value)) return e
    return (await this.tagIndex.isCurrent(e.value.tags))
      ? { value: e.value.value, expiresAt: e.expiresAt }
      : undefined
  }

  /** Wrap `value` with the current versions of `tags` (creating missing counters). */
  private async tagged(value: unknown, tags: readonly string[]): Promise<unknown> {
    return tags.length === 0 ? value : wrapTagged(value, await this.tagIndex.snapshot(tags))
  }

  async set(key: string, value: unknown, timeout?: Timeout, opts?: Opts): Promise<boolean> {
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
          : this._set(raw, await this.tagged(value, tags), exp),
      raw,
    )
    if (ok) {
      this.counters.sets++
      if (t0 !== undefined) this.emitKey('set', key, raw, opts, t0)
    }
    return ok
  }

  private async expireNow(raw: string, value: unknown): Promise<boolean> {
    isolatedCopy(value) // still reject functions and symbols (rule 12)
    await this._delete(raw)
    return true
  }

  async add(key: string, value: unknown, timeout?: Timeout, opts?: Opts): Promise<boolean> {
    const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
    return this.addStored(key, value, timeout, opts, tags.length === 0 ? undefined : tags)
  }

  /** `add`, with `tags` either to snapshot now or already snapshotted (by `getOrSet`). */
  private async addStored(
    key: string,
    value: unknown,
    timeout: Timeout,
    opts: VersionOpts | undefined,
    tags: readonly string[] | TagSnapshot | undefined,
  ): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    const exp = this.expiryFor(timeout)
    const ok = await this.write(
      'add',
      async () => {
        if (exp !== null && exp <= this.clock.now()) {
          if ((await this.readLive(raw, undefined, true)) !== undefined) return false
          return this.expireNow(raw, value)
        }
        const stored =
          tags === undefined
            ? value
            : Array.isArray(tags)
              ? await this.tagged(value, tags)
              : wrapTagged(value, tags as TagSnapshot)
        if (await this._add(raw, stored, exp)) return true
        // Rule 17: an entry whose tags were invalidated is missing, so add replaces it (else a
        // getOrSet would recompute on every call until the dead entry's own expiry).
        const cur = await this._peek(raw)
        if (cur === undefined || !isTagged(cur.value) || (await this.tagIndex.isCurrent(cur.value.tags))) {
          return false
        }
        await this._delete(raw)
        return this._add(raw, stored, exp)
      },
      raw,
    )
    if (ok) {
      this.counters.sets++
      if (this.events.active) this.emitKey('set', key, raw, opts)
    }
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
    if (ok) {
      this.counters.deletes++
      if (this.events.active) this.emitKey('delete', key, raw, opts)
    }
    return ok
  }

  /** Whether a live entry exists; agrees with `get` after a tag invalidation (rule 17). */
  async has(key: string, opts?: VersionOpts): Promise<boolean> {
    const raw = this.rawKey(key, opts?.version)
    return this.read('has', async () => (await this.readLive(raw, undefined, true)) !== undefined, false, raw)
  }

  /** `_getMany` with tagged envelopes opened: invalidated ones dropped, one more round trip at most. */
  private async openMany(found: Map<string, unknown>): Promise<Map<string, unknown>> {
    let taggedKeys: string[] | undefined
    for (const [k, v] of found) if (isTagged(v)) (taggedKeys ??= []).push(k)
    if (taggedKeys === undefined) return found
    const verdicts = await this.tagIndex.currentMany(
      taggedKeys.map((k) => (found.get(k) as { tags: TagSnapshot }).tags),
    )
    taggedKeys.forEach((k, i) => {
      if (verdicts[i]) found.set(k, (found.get(k) as { value: unknown }).value)
      else found.delete(k)
    })
    return found
  }

  async getMany<T = unknown>(keys: Iterable<string>, opts?: VersionOpts): Promise<Record<string, T>> {
    const byRaw = new Map<string, string>()
    for (const k of keys) byRaw.set(this.rawKey(k, opts?.version), k)
    const out: Record<string, T> = {}
    if (byRaw.size === 0) return out
    const found = await this.read(
      'getMany',
      async () => this.openMany(await this._getMany([...byRaw.keys()])),
      new Map<string, unknown>(),
    )
    for (const [raw, key] of byRaw) {
      if (found.has(raw)) {
        this.counters.hits++
        out[key] = found.get(raw) as T
        if (this.events.active) this.emitKey('hit', key, raw, opts)
      } else {
        this.counters.misses++
        if (this.events.active) this.emitKey('miss', key, raw, opts)
      }
    }
    return out
  }

  async setMany(
    entries: Record<string, unknown> | Iterable<[string, unknown]>,
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
      pairs.push([raw, v])
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
            pairs.map(([k, v]) => [k, wrapTagged(v, snap)]),
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
      if (this.events.active) this.emitKey('set', key, raw, opts)
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
    if (this.events.active) for (const [raw, key] of byRaw) this.emitKey('delete', key, raw, opts)
  }

  async incr(key: string, delta = 1, opts?: VersionOpts): Promise<number> {
    checkDelta(delta)
    const raw = this.rawKey(key, opts?.version)
    try {
      const n = await this.mustWrite('incr', () => this._incr(raw, delta, key), raw)
      this.counters.sets++
      if (this.events.active) this.emitKey('set', key, raw, opts)
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
   */
  async getOrSet<T>(
    key: string,
    defaultValue: T | (() => T | Promise<T>),
    timeout?: Timeout,
    opts?: Opts,
  ): Promise<T> {
    const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
    // With tags, the entry and its counters come in one round trip, and the counters are kept:
    // they are the snapshot taken BEFORE the factory runs, so an invalidation during it wins.
    const known = tags.length === 0 ? undefined : new Map<string, unknown>()
    const hit = await this.getCounted<T | typeof MISSING>(key, MISSING, opts, known)
    if (hit !== MISSING) return hit as T
    const raw = this.rawKey(key, opts?.version)
    const existing = this.inflight.get(raw) as Promise<T> | undefined
    if (existing !== undefined) return isolatedCopy(await existing) as T
    const p = this.computeAndAdd(key, defaultValue, timeout, opts, known)
    this.inflight.set(raw, p)
    const done = () => {
      if (this.inflight.get(raw) === p) this.inflight.delete(raw)
    }
    p.then(done, done)
    return p
  }

  /**
   * The miss path of `getOrSet`: snapshot the tags' counters (reusing `known`, fetched with the
   * entry) BEFORE the factory runs, so an invalidation during it wins (rule 17); compute; `add`;
   * re-read. Backends that wrap `getOrSet` in a lock of their own call this inside it.
   */
  protected async computeAndAdd<T>(
    key: string,
    defaultValue: T | (() => T | Promise<T>),
    timeout: Timeout,
    opts: Opts | undefined,
    known?: Map<string, unknown>,
  ): Promise<T> {
    const tags = opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
    const snap =
      tags.length === 0
        ? undefined
        : await this.mustWrite('getOrSet', () => this.tagIndex.snapshot(tags, known))
    const value =
      typeof defaultValue === 'function' ? await (defaultValue as () => T | Promise<T>)() : defaultValue
    await this.addStored(key, value, timeout, opts, snap)
    // Django re-reads after add, so a concurrent writer's value wins (django-cache.md §1.6).
    const now = await this.get<T | typeof MISSING>(key, MISSING, opts)
    return (now === MISSING ? value : now) as T
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

  async clear(): Promise<void> {
    await this.mustWrite('clear', () => this._clear())
    if (this.events.active)
      this.emit({ type: 'clear', alias: this.alias, backend: this.backendName, at: this.clock.now() })
  }

  async close(): Promise<void> {
    await this._close()
  }

  /**
   * Every live entry (rule 14), with `key`/`version` parsed back when the default key function
   * is used (then only this alias's prefix is listed). `prefix` filters on the caller's key.
   */
  async *entries(opts: { prefix?: string; limit?: number } = {}): AsyncIterable<EntryInfo> {
    const limit = opts.limit ?? Number.POSITIVE_INFINITY
    if (limit <= 0) return
    const parse = this.keyFunction === defaultKeyFunction
    let n = 0
    // Tag counters seen during this listing (raw key → value), so each is read once.
    const counters = new Map<string, unknown>()
    for await (const e of this._entries()) {
      if (this.isExpired(e.expiresAt)) continue
      // Tag counters are bookkeeping, not entries; invalidated entries are not live (rule 17).
      if (isTagCounterKey(e.rawKey)) continue
      let tags: string[] | undefined
      if (isTagged(e.value)) {
        const snap = e.value.tags
        tags = Object.keys(snap)
        const need = this.tagIndex.counterKeys(tags).filter((r) => !counters.has(r))
        if (need.length > 0) {
          const got = await this._getMany(need)
          for (const r of need) counters.set(r, got.get(r))
        }
        if (!(await this.tagIndex.isCurrent(snap, counters))) continue
        e.value = e.value.value
      }
      const info: EntryInfo = { rawKey: e.rawKey, expiresAt: e.expiresAt }
      if (tags !== undefined) info.tags = tags
      if (parse) {
        const p = parseDefaultKey(e.rawKey, this.keyPrefix)
        if (!p) continue
        info.key = p.key
        info.version = p.version
      }
      if (opts.prefix !== undefined && !(info.key ?? info.rawKey).startsWith(opts.prefix)) continue
      if (e.size !== undefined) info.size = e.size
      if ('value' in e) info.value = e.value
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
