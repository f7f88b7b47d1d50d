/**
 * `redis`: Django's `RedisCache` (django/core/cache/backends/redis.py, Django 4.0+) for Node, on
 * node-redis (RESP3, automatic pipelining). One primary takes every write and reads go to a
 * random replica (redis-connection.ts), or a Redis Cluster routes by hash slot. What it adds to
 * Django's semantics and fixes (docs/contract.md rule 19): millisecond timeouts (`PX`), atomic
 * `incr` and `incrVersion` that keep the TTL (Lua), `clear()` limited to this cache's prefix
 * (`SCAN MATCH` + `UNLINK`; Django's `FLUSHDB` with `options.clear: 'flushdb'`). No culling:
 * Redis evicts by its own `maxmemory-policy`.
 *
 * This file holds `RedisCache`'s fast paths (`get`, `getMany`, `set` with nobody listening and no
 * tags: one promise settled from node-redis's reply under the watchdog); the settings,
 * connections and storage primitives the generic paths use are `RedisStore` (redis-store.ts).
 */
import {
  CacheUnavailableError,
  registerBackend,
  type StorableValue,
  type TagOpts,
  type Timeout,
  type ValueOrDefault,
  type VersionOpts,
} from '@cachework/core'
import { defaultKeyFunction, isEnvelope, manyKeyRecord, untaggedStoredValue } from '@cachework/core/backend'
import { redisModuleReady } from './redis-client.ts'
import { toCacheError } from './redis-deadline.ts'
import { isOom, isWrongType, RedisStore } from './redis-store.ts'
import { decodeRedisValue, UNREADABLE } from './redis-values.ts'

export type { RedisOptions, RedisTlsOptions } from './redis-options.ts'

type GetOpts = VersionOpts & TagOpts

/**
 * A cache on Redis. `location`: `redis://[user:pass@]host:port[/db]`, `rediss://…`,
 * `unix:///path`, a list or one string split on `;`/`,` (the first server is the primary, the
 * others its replicas). Options: `db`, `username`, `password` (the URL's own win), `cluster`
 * (false), `client` (an existing node-redis client or cluster, left open on `close()`),
 * `clear` ('prefix'; 'flushdb' for Django's), `readYourWritesMs` (1000), `tls` (for
 * `rediss://` servers: `{ ca, cert, key, servername, rejectUnauthorized }`, node:tls options;
 * Node's default CAs when absent), `socket` (extra node-redis socket options), and
 * `timeoutMs` (1000) / `ignoreErrors` (false) from rule 15.
 */
export class RedisCache extends RedisStore {
  /** Whether the fast paths may run: node-redis is loaded (else `withTimeout`'s wait applies). */
  private fast(): boolean {
    return !this.events.active && (this.ownClient || redisModuleReady())
  }

  private readonly ownClient: boolean = this.options.client !== undefined
  private readonly label = `redis cache '${this.alias}'`

  /**
   * `get` with nobody listening and no tags hinted: the caller's promise is settled straight
   * from node-redis's reply under the watchdog (`CallDeadlines.start`), where the generic path
   * stacks five promises (get, the failure policy, the deadline, the tag check, `_get`). Same
   * answers: a miss for no key, unreadable text or a `WRONGTYPE` key; an unreachable server is
   * a miss and an `error` (rule 15); an envelope (tags, soft expiry) goes on through
   * `getFromEntry`, which checks it as `get` does.
   */
  override get<T = unknown>(key: string, defaultValue?: undefined, opts?: GetOpts): Promise<T | undefined>
  override get<T = unknown, D = T>(
    key: string,
    defaultValue: D,
    opts?: GetOpts,
  ): Promise<ValueOrDefault<T, D>>
  override get(key: string, defaultValue?: unknown, opts?: GetOpts): Promise<unknown> {
    if (opts?.tags !== undefined || !this.fast()) return super.get(key, defaultValue, opts)
    let raw: string
    try {
      raw = this.rawKey(key, opts?.version)
    } catch (e) {
      return Promise.reject(e)
    }
    // No named closure here: tsx (esbuild `keepNames`, the bench and the tests) wraps each in
    // an `Object.defineProperty(fn, 'name')`, ~3,800 instructions per call (callgrind).
    return new Promise((resolve, reject) => {
      const id = this.deadlines.start('get', (e) => resolve(this.unreachable(e, raw, defaultValue)))
      // A synchronous throw from node-redis arrives as a rejection (redis-client.ts `send`).
      this.conns.readKey(raw, ['GET', raw]).then(
        (text) => {
          if (!this.deadlines.done(id)) return
          const v = text === null || text === undefined ? UNREADABLE : decodeRedisValue(text)
          if (v === UNREADABLE) {
            this.counters.misses++
            resolve(defaultValue)
          } else if (isEnvelope(v)) {
            const e = { value: v, expiresAt: undefined }
            resolve(this.getFromEntry(e, key, raw, defaultValue, opts?.version))
          } else {
            this.counters.hits++
            resolve(v)
          }
        },
        (e: unknown) => {
          if (!this.deadlines.done(id)) return
          if (isWrongType(e)) {
            this.counters.misses++
            resolve(defaultValue)
            return
          }
          const c = toCacheError(e, this.label, 'get')
          if (c instanceof CacheUnavailableError) resolve(this.unreachable(c, raw, defaultValue))
          else reject(c)
        },
      )
    })
  }

  /**
   * `getMany` with nobody listening, the default key function and no cluster: one `MGET` built
   * as the keys are made, its reply read straight into the result (no raw-key Map, no found
   * Map, no tag pass). Counts each distinct key once, as the generic path does. A found
   * envelope (tags, soft expiry) hands the whole call to the generic path, which checks tags.
   */
  override getMany<T = unknown>(keys: Iterable<string>, opts?: VersionOpts): Promise<Record<string, T>> {
    if (!this.fast() || this.keyFunction !== defaultKeyFunction || this.conns.clustered)
      return super.getMany(keys, opts)
    let callers: string[]
    let args: string[]
    try {
      const version = opts?.version
      // A copy (the caller may change its array before the reply) and the MGET sized once,
      // not grown a push at a time (callgrind, getMany(100): ~3 KB and ~5,000 instructions less).
      callers = Array.isArray(keys) ? (keys.slice() as string[]) : [...keys]
      const n = callers.length
      args = new Array<string>(n + 1)
      args[0] = 'MGET'
      this.rawKeysInto(callers, version, args, 1)
    } catch (e) {
      return Promise.reject(e)
    }
    if (callers.length === 0) return super.getMany(callers, opts)
    return new Promise((resolve, reject) => {
      const id = this.deadlines.start('getMany', (e) => resolve(this.unreachableMany<T>(e, callers)))
      this.conns.readKeys(args).then(
        (values) => {
          if (!this.deadlines.done(id)) return
          // Filled without a prototype, then given `Object.prototype` once: each store into a
          // dictionary-mode object with a prototype looks the name up along the chain (setters),
          // and `in` on it is an own-key test (no `Object.hasOwn` call), so a key named
          // `toString` or `__proto__` is an own data property like any other (callgrind,
          // getMany(100) over 10,000 keys: ~100 instructions per key less).
          const out = Object.create(null) as Record<string, T>
          let missed: Set<string> | undefined
          let hits = 0
          const n = callers.length
          // The reply's shape checked once, and `isEnvelope` called for objects only (callgrind,
          // getMany(100): ~45 instructions per key less).
          const list = Array.isArray(values) ? (values as unknown[]) : []
          for (let i = 0; i < n; i++) {
            const key = callers[i] as string
            const t = list[i]
            const v = t === null || t === undefined ? UNREADABLE : decodeRedisValue(t)
            if (v === UNREADABLE) (missed ??= new Set()).add(key)
            else if (typeof v === 'object' && isEnvelope(v))
              return resolve(this.manyWithEnvelopes<T>(callers, args, values as unknown[], opts?.version))
            // A second sight of a key is a duplicate caller key (one value per key): a load,
            // where `in` is one more lookup per key (callgrind, getMany(100): ~1,500
            // instructions per call less); only a decoded `undefined` needs the `in` test.
            else if (v !== undefined ? out[key] === undefined : !(key in out)) {
              out[key] = v as T
              hits++
            }
          }
          this.counters.hits += hits
          if (missed !== undefined) this.counters.misses += missed.size
          resolve(Object.setPrototypeOf(out, Object.prototype) as Record<string, T>)
        },
        (e: unknown) => {
          if (!this.deadlines.done(id)) return
          const c = toCacheError(e, this.label, 'getMany')
          if (c instanceof CacheUnavailableError) resolve(this.unreachableMany<T>(c, callers))
          else reject(c)
        },
      )
    })
  }

  /** A fast `getMany` reply holding an envelope: every found value goes to the generic tag check. */
  private manyWithEnvelopes<T>(
    callers: string[],
    args: string[],
    values: unknown[],
    version: number | undefined,
  ): Promise<Record<string, T>> {
    const rawKeys = args.slice(1)
    const found = new Map<string, unknown>()
    rawKeys.forEach((raw, i) => {
      const t = values[i]
      const v = t === null || t === undefined ? UNREADABLE : decodeRedisValue(t)
      if (v !== UNREADABLE) found.set(raw, v)
    })
    return this.getManyFromFound<T>(callers, rawKeys, found, version)
  }

  /** Rule 15 for a fast `get`: an unreachable server is a miss, counted and reported. */
  private unreachable(e: unknown, raw: string, defaultValue: unknown): unknown {
    this.noteError(e, raw)
    this.counters.misses++
    return defaultValue
  }

  /** Rule 15 for a fast `getMany`: every distinct key missed, one `error` reported. */
  private unreachableMany<T>(e: unknown, callers: string[]): Record<string, T> {
    this.noteError(e)
    this.counters.misses += new Set(callers).size
    return manyKeyRecord<T>()
  }

  /**
   * `set` with nobody listening and no tags: the caller's promise settled from the `SET` reply
   * under the watchdog, as the fast `get` is. A timeout of 0 or less (a delete) and an OOM
   * refusal take the generic path; unreachable = `CacheUnavailableError`, or `false` with
   * `ignoreErrors` (rule 15).
   */
  override set<T>(key: string, value: StorableValue<T>, timeout?: Timeout, opts?: GetOpts): Promise<boolean> {
    if (opts?.tags !== undefined || !this.fast()) return super.set(key, value, timeout, opts)
    let raw: string
    let args: string[]
    try {
      raw = this.rawKey(key, opts?.version)
      const exp = this.expiryFor(timeout)
      if (exp !== null && exp <= this.now()) return super.set(key, value, timeout, opts)
      args = this.setArgs(raw, untaggedStoredValue(value), exp, false)
    } catch (e) {
      return Promise.reject(e)
    }
    return new Promise((resolve, reject) => {
      const id = this.deadlines.start('set', (e) => this.refuse(e, raw, resolve, reject))
      this.conns.write(raw, args).then(
        () => {
          if (!this.deadlines.done(id)) return
          this.counters.sets++
          resolve(true)
        },
        (e: unknown) => {
          if (!this.deadlines.done(id)) return
          if (isOom(e)) return resolve(this.write('set', () => this.unlinkRefused(raw), raw))
          const c = toCacheError(e, this.label, 'set')
          if (c instanceof CacheUnavailableError) this.refuse(c, raw, resolve, reject)
          else reject(c)
        },
      )
    })
  }

  /** Rule 15 for a fast write: reported, then `false` under `ignoreErrors`, else the rejection. */
  private refuse(
    e: unknown,
    raw: string,
    resolve: (ok: boolean) => void,
    reject: (e: unknown) => void,
  ): void {
    this.noteError(e, raw)
    if (this.ignoreErrors) resolve(false)
    else reject(e)
  }
}

registerBackend('redis', RedisCache)
