/**
 * The `redis` backend's storage side (redis.ts adds the fast paths and registers it): the
 * settings and connections, and the storage primitives on node-redis that `BaseCache` builds
 * every method on. See redis.ts for what it adds to Django's `RedisCache`.
 */
import { type CacheInit, type CacheStats, CacheUnavailableError, ImproperlyConfigured } from '@cachework/core'
import {
  BaseCache,
  type CallDeadlines,
  leaseToken,
  type RawEntry,
  type StoredEntry,
} from '@cachework/core/backend'
import { isReplyError, loadRedisModule, redisModuleReady } from './redis-client.ts'
import { RedisConnections } from './redis-connection.ts'
import { incrBy, moveKey } from './redis-counters.ts'
import { redisDeadlines, toCacheError } from './redis-deadline.ts'
import { clearKeys, type Keyspace, listEntries, scanPatternFor } from './redis-keyspace.ts'
import { acquireRedisLease, releaseRedisLease } from './redis-lease.ts'
import { parseRedisLocation, type RedisServer } from './redis-location.ts'
import {
  checkRedisOptions,
  DEFAULT_READ_YOUR_WRITES_MS,
  REDIS_OPTION_NAMES,
  type RedisTlsOptions,
} from './redis-options.ts'
import { PERSIST_SCRIPT, runScript } from './redis-scripts.ts'
import { decodeRedisValue, encodeRedisValue, UNREADABLE } from './redis-values.ts'

/** The settings, connections and storage primitives of a cache on Redis (see `RedisCache`). */
export class RedisStore extends BaseCache {
  static override readonly backendName: string = 'redis'
  static override readonly knownOptions: readonly string[] = REDIS_OPTION_NAMES
  /** Checks the redis-specific options (called by the config validation). */
  static validateOptions(options: Record<string, unknown>): string | undefined {
    return checkRedisOptions(options)
  }

  protected override readonly usesIO = true
  /** The servers named by `location`, in order (empty when `options.client` is given). */
  readonly servers: readonly RedisServer[]
  protected readonly conns: RedisConnections
  protected readonly deadlines: CallDeadlines

  /** Build from an alias's settings; a malformed `location` throws `ImproperlyConfigured`. */
  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const o = this.options
    this.servers =
      o.client === undefined
        ? parseRedisLocation(alias, this.location, {
            db: o.db as number | undefined,
            username: o.username as string | undefined,
            password: o.password as string | undefined,
          })
        : []
    if (o.tls !== undefined && this.servers.some((sv) => !sv.tls)) {
      throw new ImproperlyConfigured(
        `CACHES['${alias}'].options.tls is given, so every location must be a rediss:// URL (TLS), got ${JSON.stringify(this.location)}`,
      )
    }
    this.deadlines = redisDeadlines(this.timeoutMs, `redis cache '${alias}'`)
    this.conns = new RedisConnections({
      alias,
      servers: this.servers,
      cluster: o.cluster === true,
      client: o.client,
      timeoutMs: this.timeoutMs,
      readYourWritesMs: (o.readYourWritesMs as number | undefined) ?? DEFAULT_READ_YOUR_WRITES_MS,
      socket: o.socket as Record<string, unknown> | undefined,
      tls: o.tls as RedisTlsOptions | undefined,
      // node-redis emits `error` on every failed (re)connect: counted and re-emitted as cachework
      // `error` events, never left for the process to see as an unhandled 'error' (rule 15).
      onError: (e) => this.noteError(toCacheError(e, `redis cache '${alias}'`, 'to connect')),
    })
  }

  /** One watchdog for every call instead of a timer per call (redis-deadline.ts). */
  protected override withTimeout<T>(op: Promise<T>, what: string): Promise<T> {
    if (redisModuleReady() || this.options.client !== undefined) return this.deadlines.run(op, what)
    // The first calls of a process wait for node-redis to load (about a second on a busy
    // machine): local work, so `timeoutMs` (rule 15) starts counting once it is loaded.
    op.catch(() => {})
    const timed = () => this.deadlines.run(op, what)
    return loadRedisModule().then(timed, timed)
  }

  /** Counters since creation (rule 13), and `culls: false`: Redis evicts by `maxmemory-policy`, silently. */
  override stats(): CacheStats & { culls: false } {
    return { ...super.stats(), culls: false }
  }

  /** Milliseconds for `PX`, at least 1 (BaseCache has already turned timeouts ≤ 0 into deletes). */
  private px(expiresAt: number): string {
    return String(Math.max(1, Math.ceil(expiresAt - this.now())))
  }

  protected setArgs(rawKey: string, value: unknown, expiresAt: number | null, nx: boolean): string[] {
    const args = ['SET', rawKey, encodeRedisValue(value)]
    if (expiresAt !== null) args.push('PX', this.px(expiresAt))
    if (nx) args.push('NX')
    return args
  }

  // Not `async`: one `.then` on node-redis's promise instead of an async function's own promise.
  protected _get(rawKey: string): Promise<StoredEntry | undefined> {
    return this.conns.read([rawKey], ['GET', rawKey]).then(storedEntryOf, missOnWrongType)
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    return (await this.conns.read([rawKey], ['EXISTS', rawKey])) === 1
  }

  // Not `async`: one `.then` on node-redis's promise. A synchronous throw (a function value,
  // rule 12) reaches the caller as a rejection through BaseCache's failure policy.
  protected _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    return this.conns
      .write(rawKey, this.setArgs(rawKey, value, expiresAt, false))
      .then(stored, (e: unknown) => (isOom(e) ? this.unlinkRefused(rawKey) : Promise.reject(e)))
  }

  /**
   * Out of memory under `maxmemory-policy noeviction`: refused, and no older value may stay
   * readable (rule 5), as a failed memcached set deletes the key in Django.
   */
  protected unlinkRefused(rawKey: string): Promise<boolean> {
    return this.conns.write(rawKey, ['UNLINK', rawKey]).then(refused)
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const reply = await this.conns.write(rawKey, this.setArgs(rawKey, value, expiresAt, true))
    return reply === 'OK'
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    if (expiresAt === null) {
      return (await runScript((a) => this.conns.write(rawKey, a), PERSIST_SCRIPT, [rawKey], [])) === 1
    }
    return (await this.conns.write(rawKey, ['PEXPIRE', rawKey, this.px(expiresAt)])) === 1
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    return (await this.conns.write(rawKey, ['UNLINK', rawKey])) === 1
  }

  /** One `MGET` (rule 6); on a cluster one per hash slot, in parallel, a failing slot left out. */
  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    const collect = (keys: string[], values: unknown) => {
      if (!Array.isArray(values)) return
      for (let i = 0; i < keys.length; i++) {
        const t = values[i]
        if (t === null || t === undefined) continue
        const v = decodeRedisValue(t)
        if (v !== UNREADABLE) out.set(keys[i] as string, v)
      }
    }
    const groups = this.conns.groups(rawKeys)
    if (groups.length === 1) {
      collect(rawKeys, await this.conns.read(rawKeys, ['MGET', ...rawKeys]))
      return out
    }
    const results = await Promise.allSettled(groups.map((g) => this.conns.read(g, ['MGET', ...g])))
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') collect(groups[i] as string[], r.value)
      else this.noteError(toCacheError(r.reason, `redis cache '${this.alias}'`, 'getMany'))
    })
    return out
  }

  /** One pipeline: every `SET … PX` is sent in the same tick, so node-redis writes them together. */
  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    const all = pairs.map(([k, v]) => [k, this.setArgs(k, v, expiresAt, false)] as const)
    const results = await Promise.allSettled(all.map(([k, args]) => this.conns.write(k, args)))
    const failed: string[] = []
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as PromiseSettledResult<unknown>
      if (r.status === 'fulfilled') continue
      if (!isOom(r.reason)) throw r.reason
      failed.push((all[i] as (typeof all)[number])[0])
    }
    if (failed.length) await this._deleteMany(failed)
    return failed
  }

  /** One `UNLINK` (per hash slot on a cluster). */
  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    await Promise.all(
      this.conns.groups(rawKeys).map((g) => this.conns.write(g[0] as string, ['UNLINK', ...g])),
    )
  }

  /** Atomic and TTL-keeping in one script (rule 7); Django's `EXISTS` + `INCRBY` is neither. */
  protected override _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    return incrBy(this.send, rawKey, delta, callerKey)
  }

  /** Move to another version keeping the remaining TTL (rule 8), atomically unless a cluster splits the two. */
  protected override _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    return moveKey(this.send, this.conns.clustered, fromRaw, toRaw)
  }

  /**
   * Rule 16: soft-expire in place, keeping the remaining TTL (`SET … KEEPTTL XX`), read from the
   * primary; the generic version would give the entry the default timeout again.
   */
  protected override async _expire(rawKey: string): Promise<boolean> {
    const text = await this.conns.write(rawKey, ['GET', rawKey])
    if (text === null || text === undefined) return false
    const value = decodeRedisValue(text)
    if (value === UNREADABLE) return false
    const args = ['SET', rawKey, encodeRedisValue(this.staleEnvelope(value)), 'KEEPTTL', 'XX']
    return (await this.conns.write(rawKey, args)) === 'OK'
  }

  /** Rule 16: `SET <leaseKey> <token> NX PX <ttlMs>` on the primary, one winner across every process (redis-lease.ts). */
  override async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    const token = leaseToken()
    const won = await this.leaseCall(acquireRedisLease(this.send, rawKey, token, ttlMs), 'acquireLease')
    return won ? token : undefined
  }

  /** Rule 16: give the lease back only if it is still ours, compare-and-delete in one script. */
  override async releaseLease(rawKey: string, token: string): Promise<void> {
    await this.leaseCall(releaseRedisLease(this.send, rawKey, token), 'releaseLease')
  }

  private readonly send = (key: string, args: string[]): Promise<unknown> => this.conns.write(key, args)

  /** A lease command under the deadline; a failure to reach the server is an `error` event too (rule 15). */
  private async leaseCall<T>(op: Promise<T>, what: string): Promise<T> {
    try {
      return await this.deadlines.run(op, what)
    } catch (e) {
      if (e instanceof CacheUnavailableError) this.noteError(e)
      throw e
    }
  }

  /** The `SCAN MATCH` pattern of this cache's keys (docs/contract.md rule 19). */
  scanPattern(): string {
    return scanPatternFor(this.keyPrefix, this.keyFunction)
  }

  private keyspace(): Keyspace {
    return {
      conns: this.conns,
      deadlines: this.deadlines,
      pattern: this.scanPattern(),
      label: `redis cache '${this.alias}'`,
      now: () => this.now(),
      noteError: (e) => this.noteError(e),
    }
  }

  /** Only this cache's keys (`SCAN MATCH` + `UNLINK` in batches), or `FLUSHDB` with `options.clear: 'flushdb'`. */
  protected async _clear(): Promise<void> {
    await clearKeys(this.keyspace(), this.options.clear === 'flushdb')
  }

  /** Every key of this cache via `SCAN`, with `PTTL`, `MEMORY USAGE` and the value (redis-keyspace.ts). */
  protected _entries(): AsyncIterable<RawEntry> {
    return listEntries(this.keyspace())
  }

  protected override async _close(): Promise<void> {
    await this.conns.close()
  }

  /**
   * The entry's absolute expiry from `PTTL`, for the tiered backend's L1 copy (docs/contract.md
   * rule 18). Counted from a clock reading taken before the request: the server measured the
   * remaining time later than that, so the sum is never past the entry's expiry (a reading
   * after the reply would add the round trip).
   */
  protected override async _expiryOf(rawKey: string): Promise<number | null | undefined> {
    const asked = this.now()
    const ms = Number(await this.conns.read([rawKey], ['PTTL', rawKey]))
    if (ms === -1) return null
    return Number.isFinite(ms) && ms >= 0 ? asked + ms : undefined
  }
}

/** A `GET` reply as an entry: `undefined` for no key and for text cachework will not read. */
function storedEntryOf(text: unknown): StoredEntry | undefined {
  if (text === null || text === undefined) return undefined
  const value = decodeRedisValue(text)
  return value === UNREADABLE ? undefined : { value, expiresAt: undefined }
}

/** A key of another type (a list written by someone else) is not ours to read: a miss. */
function missOnWrongType(e: unknown): undefined {
  if (isWrongType(e)) return undefined
  throw e
}

export function isOom(e: unknown): boolean {
  return isReplyError(e) && e.message.startsWith('OOM')
}

function stored(): boolean {
  return true
}

function refused(): boolean {
  return false
}

export function isWrongType(e: unknown): boolean {
  return isReplyError(e) && e.message.startsWith('WRONGTYPE')
}
