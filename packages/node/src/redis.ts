/**
 * `redis`: Django's `RedisCache` (django/core/cache/backends/redis.py, Django 4.0+) for Node, on
 * node-redis (RESP3, automatic pipelining). One primary takes every write and reads go to a
 * random replica (redis-connection.ts), or a Redis Cluster routes by hash slot. What it adds to
 * Django's semantics and fixes (docs/contract.md rule 19): millisecond timeouts (`PX`), atomic
 * `incr` and `incrVersion` that keep the TTL (Lua), `clear()` limited to this cache's prefix
 * (`SCAN MATCH` + `UNLINK`; Django's `FLUSHDB` with `options.clear: 'flushdb'`). No culling:
 * Redis evicts by its own `maxmemory-policy`.
 */
import {
  type CacheInit,
  type CacheStats,
  CacheUnavailableError,
  defaultKeyFunction,
  KeyNotFoundError,
  registerBackend,
} from '@cachework/core'
import {
  BaseCache,
  leaseKeyFor,
  unsafeIncrMessage,
  type RawEntry,
  type StoredEntry,
} from '@cachework/core/backend'
import {
  isReplyError,
  loadRedisModule,
  type RedisNodeClient,
  RedisConnections,
  redisModuleReady,
} from './redis-connection.ts'
import { Deadlines, toCacheError } from './redis-deadline.ts'
import { parseRedisLocation, type RedisServer } from './redis-location.ts'
import {
  INCR_SCRIPT,
  MOVE_SCRIPT,
  PERSIST_SCRIPT,
  READ_WITH_TTL_SCRIPT,
  RELEASE_LEASE_SCRIPT,
  runScript,
  hashSlot,
} from './redis-scripts.ts'
import { decodeRedisValue, encodeRedisValue, UNREADABLE } from './redis-values.ts'

/** How many keys one `SCAN` step asks for and one `UNLINK` removes. */
const SCAN_BATCH = 1000

function checkOptions(o: Record<string, unknown>): string | undefined {
  if (o.db !== undefined && !(Number.isInteger(o.db) && (o.db as number) >= 0))
    return `db must be an integer >= 0, got ${String(o.db)}`
  for (const k of ['username', 'password'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'string') return `${k} must be a string`
  if (o.cluster !== undefined && typeof o.cluster !== 'boolean') return 'cluster must be a boolean'
  if (o.clear !== undefined && o.clear !== 'prefix' && o.clear !== 'flushdb')
    return `clear must be 'prefix' or 'flushdb', got ${JSON.stringify(o.clear)}`
  const ryw = o.readYourWritesMs
  if (ryw !== undefined && !(typeof ryw === 'number' && ryw >= 0))
    return `readYourWritesMs must be a number >= 0, got ${String(ryw)}`
  if (
    o.client !== undefined &&
    (typeof o.client !== 'object' || o.client === null || !('sendCommand' in o.client))
  )
    return 'client must be a node-redis client or cluster (createClient / createCluster from the redis package)'
  if (o.socket !== undefined && (typeof o.socket !== 'object' || o.socket === null))
    return 'socket must be an object'
  return undefined
}

/** `*`, `?`, `[`, `]` and `\` are glob characters in `SCAN MATCH`. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&')
}

/**
 * A cache on Redis. `location`: `redis://[user:pass@]host:port[/db]`, `rediss://…`,
 * `unix:///path`, a list or one string split on `;`/`,` (the first server is the primary, the
 * others its replicas). Options: `db`, `username`, `password` (the URL's own win), `cluster`
 * (false), `client` (an existing node-redis client or cluster, left open on `close()`),
 * `clear` ('prefix'; 'flushdb' for Django's), `readYourWritesMs` (1000), `socket` (extra
 * node-redis socket options), and `timeoutMs` (1000) / `ignoreErrors` (false) from rule 15.
 */
export class RedisCache extends BaseCache {
  static override readonly backendName: string = 'redis'
  static override readonly knownOptions: readonly string[] = [
    'db',
    'username',
    'password',
    'cluster',
    'client',
    'clear',
    'readYourWritesMs',
    'socket',
  ]
  /** Checks the redis-specific options (called by the config validation). */
  static validateOptions(options: Record<string, unknown>): string | undefined {
    return checkOptions(options)
  }

  protected override readonly usesIO = true
  /** The servers named by `location`, in order (empty when `options.client` is given). */
  readonly servers: readonly RedisServer[]
  private readonly conns: RedisConnections
  private readonly deadlines: Deadlines

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
    this.deadlines = new Deadlines(this.timeoutMs, `redis cache '${alias}'`)
    this.conns = new RedisConnections({
      alias,
      servers: this.servers,
      cluster: o.cluster === true,
      client: o.client,
      timeoutMs: this.timeoutMs,
      readYourWritesMs: (o.readYourWritesMs as number | undefined) ?? 1000,
      socket: o.socket as Record<string, unknown> | undefined,
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

  private setArgs(rawKey: string, value: unknown, expiresAt: number | null, nx: boolean): string[] {
    const args = ['SET', rawKey, encodeRedisValue(value)]
    if (expiresAt !== null) args.push('PX', this.px(expiresAt))
    if (nx) args.push('NX')
    return args
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    let text: unknown
    try {
      text = await this.conns.read([rawKey], ['GET', rawKey])
    } catch (e) {
      // A key of another type (a list written by someone else) is not ours to read: a miss.
      if (isReplyError(e) && e.message.startsWith('WRONGTYPE')) return undefined
      throw e
    }
    if (text === null || text === undefined) return undefined
    const value = decodeRedisValue(text)
    return value === UNREADABLE ? undefined : { value, expiresAt: undefined }
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    return (await this.conns.read([rawKey], ['EXISTS', rawKey])) === 1
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const args = this.setArgs(rawKey, value, expiresAt, false)
    try {
      await this.conns.write(rawKey, args)
      return true
    } catch (e) {
      // Out of memory under `maxmemory-policy noeviction`: refused, and no older value may stay
      // readable (rule 5), as a failed memcached set deletes the key in Django.
      if (isReplyError(e) && e.message.startsWith('OOM')) {
        await this.conns.write(rawKey, ['UNLINK', rawKey])
        return false
      }
      throw e
    }
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
      if (!(isReplyError(r.reason) && r.reason.message.startsWith('OOM'))) throw r.reason
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
  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    let n: unknown
    try {
      n = await runScript((a) => this.conns.write(rawKey, a), INCR_SCRIPT, [rawKey], [String(delta)])
    } catch (e) {
      if (isReplyError(e) && /not an integer|overflow|WRONGTYPE/.test(e.message)) {
        throw new TypeError(`Cannot incr/decr '${callerKey}': the stored value is not a 64-bit integer`)
      }
      throw e
    }
    if (n === null || n === undefined) throw new KeyNotFoundError(rawKey)
    // Redis counts in 64 bits; a number past 2^53 would come back rounded (rule 7).
    if (
      BigInt(n as string | number) > BigInt(Number.MAX_SAFE_INTEGER) ||
      BigInt(n as string | number) < -BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      throw new RangeError(unsafeIncrMessage(callerKey, `${n} (now stored)`))
    }
    return Number(n)
  }

  /**
   * Move to another version keeping the remaining TTL (rule 8): one atomic script when both keys
   * share a server (always, except on a cluster when the two versions hash to different slots;
   * then read-with-TTL, `SET … PX`, `UNLINK` in three steps).
   */
  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const send = (key: string) => (a: string[]) => this.conns.write(key, a)
    if (!this.conns.clustered || hashSlot(fromRaw) === hashSlot(toRaw)) {
      return (await runScript(send(fromRaw), MOVE_SCRIPT, [fromRaw, toRaw], [])) === 1
    }
    const got = await runScript(send(fromRaw), READ_WITH_TTL_SCRIPT, [fromRaw], [])
    if (!Array.isArray(got)) return false
    const [value, ttl] = got as [string, number]
    await this.conns.write(toRaw, ttl > 0 ? ['SET', toRaw, value, 'PX', String(ttl)] : ['SET', toRaw, value])
    await this.conns.write(fromRaw, ['UNLINK', fromRaw])
    return true
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

  /** Rule 16: give the lease back only if it is still ours, compare-and-delete in one script. */
  override async releaseLease(rawKey: string, token: string): Promise<void> {
    const lk = leaseKeyFor(rawKey)
    try {
      await this.deadlines.run(
        runScript((a) => this.conns.write(lk, a), RELEASE_LEASE_SCRIPT, [lk], [token]),
        'releaseLease',
      )
    } catch (e) {
      if (e instanceof CacheUnavailableError) this.noteError(e, lk)
      throw e
    }
  }

  /** The `SCAN MATCH` pattern of this cache's keys (docs/contract.md rule 19). */
  scanPattern(): string {
    if (this.keyFunction === defaultKeyFunction) return `${globEscape(this.keyPrefix)}:*`
    return this.keyPrefix === '' ? '*' : `${globEscape(this.keyPrefix)}*`
  }

  /** `SCAN` one client in steps under the deadline, yielding batches of keys. */
  private async *scan(c: RedisNodeClient): AsyncIterable<string[]> {
    let cursor = '0'
    // Bounded: SCAN visits each slot of the keyspace once; the guard only stops a broken server.
    for (let steps = 0; steps < 10_000_000; steps++) {
      const reply = (await this.deadlines.run(
        c.sendCommand(['SCAN', cursor, 'MATCH', this.scanPattern(), 'COUNT', String(SCAN_BATCH)]),
        'SCAN',
      )) as [string, string[]]
      cursor = String(reply[0])
      if (reply[1].length > 0) yield reply[1]
      if (cursor === '0') return
    }
  }

  /** Only this cache's keys (`SCAN MATCH` + `UNLINK` in batches), or `FLUSHDB` with `options.clear: 'flushdb'`. */
  protected async _clear(): Promise<void> {
    this.conns.noteWriteAll()
    const clients = await this.conns.primaries()
    if (this.options.clear === 'flushdb') {
      await Promise.all(clients.map((c) => c.sendCommand(['FLUSHDB'])))
      return
    }
    await Promise.all(
      clients.map(async (c) => {
        for await (const keys of this.scan(c)) {
          // A cluster node holds many slots; UNLINK takes keys of one slot at a time.
          await Promise.all(this.conns.groups(keys).map((g) => c.sendCommand(['UNLINK', ...g])))
        }
      }),
    )
  }

  /** Every key of this cache via `SCAN`, with `PTTL`, `MEMORY USAGE` and the value, in pipelined batches. */
  protected async *_entries(): AsyncIterable<RawEntry> {
    let clients: RedisNodeClient[]
    try {
      clients = await this.deadlines.run(this.conns.primaries(), 'entries')
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) throw e
      this.noteError(e) // like every read (rule 15): an unreachable server lists nothing
      return
    }
    for (const c of clients) {
      try {
        for await (const keys of this.scan(c)) {
          const now = this.now()
          const rows = await this.deadlines.run(
            Promise.all(
              keys.map((k) =>
                Promise.all([
                  c.sendCommand(['GET', k]).catch(() => null),
                  c.sendCommand(['PTTL', k]),
                  c.sendCommand(['MEMORY', 'USAGE', k, 'SAMPLES', '0']).catch(() => null),
                ]),
              ),
            ),
            'entries',
          )
          for (let i = 0; i < keys.length; i++) {
            const [text, ttl, size] = rows[i] as [unknown, number, unknown]
            if (text === null || ttl === -2) continue
            const value = decodeRedisValue(text)
            if (value === UNREADABLE) continue
            const e: RawEntry = { rawKey: keys[i] as string, expiresAt: ttl >= 0 ? now + ttl : null, value }
            if (typeof size === 'number') e.size = size
            yield e
          }
        }
      } catch (e) {
        const err = toCacheError(e, `redis cache '${this.alias}'`, 'entries')
        if (!(err instanceof CacheUnavailableError)) throw err
        this.noteError(err)
      }
    }
  }

  protected override async _close(): Promise<void> {
    await this.conns.close()
  }

  /** The entry's absolute expiry from `PTTL`, for the tiered backend's L1 copy (docs/contract.md rule 18). */
  protected override async _expiryOf(rawKey: string): Promise<number | null | undefined> {
    const ms = Number(await this.conns.read([rawKey], ['PTTL', rawKey]))
    if (ms === -1) return null
    return Number.isFinite(ms) && ms >= 0 ? this.now() + ms : undefined
  }
}

registerBackend('redis', RedisCache)
