/** The public `Cache` contract (docs/contract.md §2) and the configuration types (docs/contract.md §1). */
import type { BusSpec, TierSpec } from './backends/tiered.ts'
import type { Clock } from './clock.ts'
import type { CacheEvent, CacheEventType, CacheStats } from './events.ts'
import type { GetOrSetOptions } from './get-or-set.ts'
import type { KeyFunction } from './keys.ts'
import type { TagOpts } from './tags.ts'
import type { StorableValue, ValueOrDefault } from './value-types.ts'

/** Seconds; `undefined` uses the alias's default, `null` never expires, `<= 0` expires at once. */
export type Timeout = number | null | undefined

/** Per-call options: `version` overrides the alias's version. */
export interface VersionOpts {
  version?: number
}

/** One live entry as `entries()` yields it (docs/contract.md rule 14). */
export interface EntryInfo {
  rawKey: string
  key?: string
  version?: number
  /** Epoch ms, or `null` for never. */
  expiresAt: number | null
  /** Bytes, where the backend knows. */
  size?: number
  value?: unknown
  /**
   * Rule 16: `fresh`, `stale` (soft-expired, kept for staleWhileRevalidate/staleIfError),
   * `refreshing` (this process is recomputing it), or `leased` (a lease item: someone computes
   * `key`; `leaseHolder` says who). Absent where the backend lists no values.
   */
  state?: 'fresh' | 'stale' | 'refreshing' | 'leased'
  /** For `leased`: the holder's token (`pid<pid>-…` in Node, `page-…` in a browser). */
  leaseHolder?: string
  /** End of the fresh lifetime (epoch ms) of an entry stored with metadata (rule 16). */
  softExpiresAt?: number
  /** The entry's tags, when it was stored with some (docs/contract.md rule 17). */
  tags?: string[]
}

/**
 * The contract every backend implements; all methods are async except the key helpers. `V` is
 * the type of the values this cache holds (`caches.get<Session>('sessions')`); it defaults to
 * `unknown`. Writes refuse, at compile time, values no backend can store (functions, symbols,
 * promises, objects with methods: {@link StorableValue}, docs/contract.md rule 12).
 */
export interface Cache<V = unknown> {
  readonly alias: string
  readonly backendName: string
  /** The live value, or `undefined`. */
  get<T = V>(key: string, defaultValue?: undefined, opts?: VersionOpts & TagOpts): Promise<T | undefined>
  /** The live value, or `defaultValue`: typed by the cache's value type and the default's. */
  get<T = V, D = T>(key: string, defaultValue: D, opts?: VersionOpts & TagOpts): Promise<ValueOrDefault<T, D>>
  set<T extends V>(
    key: string,
    value: StorableValue<T>,
    timeout?: Timeout,
    opts?: VersionOpts & TagOpts,
  ): Promise<boolean>
  add<T extends V>(
    key: string,
    value: StorableValue<T>,
    timeout?: Timeout,
    opts?: VersionOpts & TagOpts,
  ): Promise<boolean>
  touch(key: string, timeout?: Timeout, opts?: VersionOpts): Promise<boolean>
  delete(key: string, opts?: VersionOpts): Promise<boolean>
  has(key: string, opts?: VersionOpts): Promise<boolean>
  getMany<T = V>(keys: Iterable<string>, opts?: VersionOpts): Promise<Record<string, T>>
  setMany<E extends Record<string, V> | Iterable<readonly [string, V]>>(
    entries: StorableValue<E>,
    timeout?: Timeout,
    opts?: VersionOpts & TagOpts,
  ): Promise<string[]>
  deleteMany(keys: Iterable<string>, opts?: VersionOpts): Promise<void>
  incr(key: string, delta?: number, opts?: VersionOpts): Promise<number>
  decr(key: string, delta?: number, opts?: VersionOpts): Promise<number>
  incrVersion(key: string, delta?: number, opts?: VersionOpts): Promise<number>
  decrVersion(key: string, delta?: number, opts?: VersionOpts): Promise<number>
  getOrSet<T extends V = V>(
    key: string,
    defaultValue: T | (() => T | Promise<T>),
    timeout?: Timeout,
    opts?: GetOrSetOptions,
  ): Promise<T>
  /** Mark an entry stale without removing it (rule 16); says whether there was one. */
  expire(key: string, opts?: VersionOpts): Promise<boolean>
  /** Make every entry tagged with any of `tags` miss, in every process sharing the store (rule 17). */
  invalidateTags(tags: Iterable<string>): Promise<void>
  /**
   * Mark every entry tagged with any of `tags` stale without removing it (rule 17): `get`/`has`
   * miss it; `getOrSet` with `staleWhileRevalidate`/`staleIfError` may still serve it.
   */
  expireTags(tags: Iterable<string>): Promise<void>
  clear(): Promise<void>
  close(): Promise<void>
  makeKey(key: string, version?: number): string
  validateKey(rawKey: string): void
  on(type: CacheEventType | '*', listener: (e: CacheEvent) => void): () => void
  stats(): CacheStats
  entries(opts?: EntriesOptions): AsyncIterable<EntryInfo>
}

/** Options of `entries()` (docs/contract.md rule 14). */
export interface EntriesOptions {
  /** Only caller keys starting with this. */
  prefix?: string
  /** At most this many entries. Default: all. */
  limit?: number
  /**
   * Report `size`. Default true. `false` lets backends that measure a value by encoding it
   * (locmem, indexeddb) skip that work: listing 10,000 entries for the devtools list, say.
   */
  sizes?: boolean
}

/** Options every backend understands (docs/contract.md §1); backends add their own beside these. */
export interface CacheOptions {
  /** Entries before culling, for backends that cull. Default 300. */
  maxEntries?: number
  /** Cull 1/N of the entries when full; 0 clears everything. Default 3. */
  cullFrequency?: number
  /** For backends with I/O: how long a call may take before it counts as a failure. Default 1000. */
  timeoutMs?: number
  /** For backends with I/O: resolve writes `false` instead of rejecting when storage is down. Default false. */
  ignoreErrors?: boolean
  /** Time source (ms since epoch); tests inject a fake one. Default `Date.now`. */
  clock?: Clock
  [backendSpecific: string]: unknown
}

/** A backend class: anything extending `BaseCache`. */
export interface BackendClass {
  new (config: CacheInit, alias?: string): Cache
  /** The registered short name, e.g. `'locmem'`. */
  readonly backendName: string
  /** Option names this backend reads, beyond the common ones (unknown ones warn). */
  readonly knownOptions?: readonly string[]
  /** Throws a message for a bad backend-specific option (called at configure time). */
  validateOptions?(options: Record<string, unknown>): string | undefined
}

/** The settings of one alias, after defaults (what a backend's constructor receives). */
export interface CacheInit {
  location?: string | string[]
  timeout?: number | null
  keyPrefix?: string
  version?: number
  keyFunction?: KeyFunction
  options?: CacheOptions
}

/**
 * One alias as the run time accepts it, before normalising (either spelling, any backend name):
 * what `normalizeConfig` and backend authors handle. Applications write {@link CacheConfig}.
 */
export interface AnyCacheConfig extends CacheInit {
  backend?: string | BackendClass
  BACKEND?: string | BackendClass
  LOCATION?: string | string[]
  TIMEOUT?: number | null
  KEY_PREFIX?: string
  VERSION?: number
  KEY_FUNCTION?: KeyFunction
  OPTIONS?: CacheOptions & { MAX_ENTRIES?: number; CULL_FREQUENCY?: number }
}

/** The options every backend understands (docs/contract.md §1), typed for configuration. */
export interface CommonOptions {
  /** Entries before culling, for backends that cull. Default 300. */
  maxEntries?: number
  /** Cull 1/N of the entries when full; 0 clears everything. Default 3. */
  cullFrequency?: number
  /** For backends with I/O: how long a call may take before it counts as a failure. Default 1000. */
  timeoutMs?: number
  /** For backends with I/O: resolve writes `false` instead of rejecting when storage is down. Default false. */
  ignoreErrors?: boolean
  /** Time source (ms since epoch); tests inject a fake one. Default `Date.now`. */
  clock?: Clock
}

/** `locmem` options. */
export interface LocMemOptions extends CommonOptions {
  /** Copy values on `set` and `get` so callers never share an object with the cache. Default true. */
  isolate?: boolean
}

/** `tiered` options (backends/tiered.ts). */
export interface TieredOptions extends CommonOptions {
  /** `[l1, l2]`: each an alias, a config or a cache. Required. */
  tiers: readonly [TierSpec, TierSpec]
  /** How instances tell each other about writes: a `CacheBus`, `{ type, … }`, or `false` (default). */
  bus?: BusSpec
}

/**
 * Backend name → its options type: what `backend` may name in a config and which `options` it
 * takes, so `'locmen'` or `maxEntires` fail to compile. `@cachework/node` and
 * `@cachework/browser` add their backends here when their entry is imported (as the run time
 * registers them); a backend of your own is added the same way:
 *
 * ```ts
 * declare module '@cachework/core' {
 *   interface CacheBackends { mine: CommonOptions & { shards?: number } }
 * }
 * ```
 */
export interface CacheBackends {
  locmem: LocMemOptions
  dummy: CommonOptions
  tiered: TieredOptions
  'django.core.cache.backends.locmem.LocMemCache': LocMemOptions
  'django.core.cache.backends.dummy.DummyCache': CommonOptions
}

/** A backend name `configureCaches` knows (see {@link CacheBackends}). */
export type BackendName = Extract<keyof CacheBackends, string>

/** The fields of one alias besides the backend and its options, in either spelling. */
export interface AliasFields {
  location?: string | string[]
  timeout?: number | null
  keyPrefix?: string
  version?: number
  keyFunction?: KeyFunction
  LOCATION?: string | string[]
  TIMEOUT?: number | null
  KEY_PREFIX?: string
  VERSION?: number
  KEY_FUNCTION?: KeyFunction
}

/** Django's upper-case spellings of the common options, accepted in `OPTIONS`. */
export interface UpperCaseOptions {
  MAX_ENTRIES?: number
  CULL_FREQUENCY?: number
  max_entries?: number
  cull_frequency?: number
}

/** One alias configured with backend `B` (a name, or a class extending `BaseCache`). */
export type AliasConfig<B extends BackendName | BackendClass, O> =
  | (AliasFields & { backend: B; BACKEND?: undefined; options?: O; OPTIONS?: O & UpperCaseOptions })
  | (AliasFields & { BACKEND: B; backend?: undefined; options?: O; OPTIONS?: O & UpperCaseOptions })

/**
 * One alias in `configureCaches`; Django's upper-case field names are accepted too. `backend`
 * is a registered name (typed by {@link CacheBackends}, with that backend's options) or a class.
 */
export type CacheConfig =
  | { [B in BackendName]: AliasConfig<B, CacheBackends[B]> }[BackendName]
  | AliasConfig<BackendClass, CacheOptions>

/** The whole caches configuration: alias → config. */
export type CachesConfig = Record<string, CacheConfig>
