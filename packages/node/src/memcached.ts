/**
 * `memcached`: Django's `PyMemcacheCache` for Node (django/core/cache/backends/memcached.py), on memcached's binary
 * protocol with pipelined sockets (memcached-protocol.ts). Several servers form one cache by
 * ketama consistent hashing; `getMany`/`setMany`/`deleteMany` are one round trip per server;
 * `incr`/`decr` are memcached's own atomic commands. A dead server's keys miss (they are not
 * moved to other servers, as in Django/pymemcache) and the server is used again once it is back.
 * The server set and its batching are memcached-servers.ts; Django's key and exptime rules are
 * memcached-rules.ts.
 */
import {
  type CacheInit,
  type CommonOptions,
  CacheUnavailableError,
  defaultKeyFunction,
  KeyNotFoundError,
  registerBackend,
} from '@cachework/core'
import {
  BaseCache,
  leaseKeyFor,
  type RawEntry,
  type StoredEntry,
  unsafeIncrMessage,
} from '@cachework/core/backend'
import { MetaLeases, NO_META } from './memcached-lease.ts'
import { parseLocation, type ServerAddress } from './memcached-location.ts'
import { type Frame, frame, incrExtras, Op, Status, storeExtras, touchExtras } from './memcached-protocol.ts'
import { metadump, metaGetDone, parseMetaGet, type TextItem, textRequest } from './memcached-text.ts'
import { checkMemcachedKey, EXPIRED, exptimeFor, needsRetryMs } from './memcached-rules.ts'
import { ServerSet } from './memcached-servers.ts'
import { decodeMemcachedValue, type Encoded, encodeMemcachedValue, UNREADABLE } from './memcached-values.ts'

/**
 * A cache on one or more memcached servers. `location` names them (`host:port`, `unix:/path`,
 * `/path`, `[::1]:11211`, a list, or one string split on `;`/`,`); options: `timeoutMs` (1000)
 * bounds every call, `retryMs` (1000) is how long a failed server is skipped before reconnecting.
 */
export class MemcachedCache extends BaseCache {
  static override readonly backendName: string = 'memcached'
  static override readonly knownOptions: readonly string[] = ['retryMs']
  /** Checks the memcached-specific options (called by the config validation). */
  static validateOptions(options: Record<string, unknown>): string | undefined {
    return needsRetryMs(options)
  }

  protected override readonly usesIO = true

  /**
   * Every request already carries its own deadline inside the connection (0.75 × `timeoutMs`,
   * enforced by a watchdog that fails the socket), so rule 15's extra timer per call would only
   * cost time on the hot path.
   */
  protected override withTimeout<T>(op: Promise<T>): Promise<T> {
    return op
  }

  /** The servers, in configuration order. */
  readonly servers: readonly ServerAddress[]
  /** The ring, the connections and per-server batching (memcached-servers.ts). */
  private readonly pool: ServerSet

  /** Build from an alias's settings; a malformed `location` throws `ImproperlyConfigured`. */
  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    this.servers = parseLocation(alias, this.location)
    // Requests give up a little before `timeoutMs`, so one slow server fails alone inside a
    // getMany instead of the whole call timing out.
    const requestMs = Math.max(1, Math.floor(this.timeoutMs * 0.75))
    const retryMs = (this.options.retryMs as number | undefined) ?? 1000
    this.pool = new ServerSet(this.servers, requestMs, retryMs)
  }

  /**
   * memcached rejects keys over 250 bytes or with control characters or spaces, so this backend
   * raises `InvalidCacheKey` (as Django's memcached backends do) on every operation, reads included.
   */
  override validateKey(rawKey: string): void {
    checkMemcachedKey(rawKey)
  }

  /** Django's `get_backend_timeout` for memcached (memcached-rules.ts `exptimeFor`). */
  private exptime(expiresAt: number | null): number {
    return exptimeFor(expiresAt, this.now())
  }

  /** The server (`host:port` or socket path) that holds `key` on the ketama ring. */
  serverFor(key: string, opts?: { version?: number }): string {
    return this.pool.serverOf(this.rawKey(key, opts?.version)).name
  }

  private failure(f: Frame, what: string): CacheUnavailableError {
    const msg = f.value.toString('utf8').slice(0, 200)
    return new CacheUnavailableError(`memcached ${what} failed with status ${f.status}: ${msg}`)
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const f = await this.pool.connFor(rawKey).request(Op.GET, rawKey)
    if (f.status === Status.NOT_FOUND) return undefined
    if (f.status !== Status.OK) throw this.failure(f, 'get')
    // A frame too short to hold flags is not memcached speaking: a miss, never an exception.
    if (f.extras.length < 4) return undefined
    const value = decodeMemcachedValue(f.extras.readUInt32BE(0), f.value)
    return value === UNREADABLE ? undefined : { value, expiresAt: undefined }
  }

  private async store(op: number, rawKey: string, enc: Encoded, exptime: number): Promise<Frame> {
    return this.pool.connFor(rawKey).request(op, rawKey, storeExtras(enc.flags, exptime), enc.data)
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const enc = encodeMemcachedValue(value)
    const exptime = this.exptime(expiresAt)
    if (exptime === EXPIRED) {
      await this._delete(rawKey)
      return true
    }
    const f = await this.store(Op.SET, rawKey, enc, exptime)
    if (f.status === Status.OK) return true
    if (f.status === Status.TOO_LARGE || f.status === Status.NOT_STORED || f.status === 0x82) {
      // Django 1.8+: a failed set deletes the key so no older value stays readable (rule 5).
      await this._delete(rawKey)
      return false
    }
    throw this.failure(f, 'set')
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const enc = encodeMemcachedValue(value)
    const exptime = this.exptime(expiresAt)
    if (exptime === EXPIRED) return !(await this._has(rawKey))
    const f = await this.store(Op.ADD, rawKey, enc, exptime)
    if (f.status === Status.OK) return true
    if (f.status === Status.EXISTS || f.status === Status.NOT_STORED || f.status === Status.TOO_LARGE)
      return false
    throw this.failure(f, 'add')
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    const exptime = this.exptime(expiresAt)
    if (exptime === EXPIRED) return this._delete(rawKey)
    const f = await this.pool.connFor(rawKey).request(Op.TOUCH, rawKey, touchExtras(exptime))
    if (f.status === Status.OK) return true
    if (f.status === Status.NOT_FOUND) return false
    throw this.failure(f, 'touch')
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    const f = await this.pool.connFor(rawKey).request(Op.DELETE, rawKey)
    if (f.status === Status.OK) return true
    if (f.status === Status.NOT_FOUND) return false
    throw this.failure(f, 'delete')
  }

  protected async _clear(): Promise<void> {
    // Django's `clear` is `flush_all`: it empties every server, not just this key prefix.
    await Promise.all(this.pool.all().map((c) => c.request(Op.FLUSH, '')))
  }

  /** Raw items of the found keys, one request per server (rule 6); a dead server's keys miss (rule 15). */
  private getManyRaw(rawKeys: string[]): Promise<TextItem[]> {
    return this.pool.getMany(rawKeys, (e) => this.noteError(e))
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>()
    for (const item of await this.getManyRaw(rawKeys)) {
      const v = decodeMemcachedValue(item.flags, item.buf, item.start, item.end)
      if (v !== UNREADABLE) out.set(item.key, v)
    }
    return out
  }

  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    const encoded = pairs.map(([k, v]) => [k, encodeMemcachedValue(v)] as const)
    const exptime = this.exptime(expiresAt)
    if (exptime === EXPIRED) {
      await this._deleteMany(pairs.map((p) => p[0]))
      return []
    }
    const failed: string[] = []
    const jobs = [...this.pool.byServer([...encoded], (p) => p[0])].map(async ([i, items]) => {
      const answers = await this.pool.pipeline(
        i,
        (o, j) => {
          const [k, enc] = items[j] as (typeof encoded)[number]
          return frame(Op.SETQ, o, k, storeExtras(enc.flags, exptime), enc.data)
        },
        items.length,
      )
      // SETQ answers only failures (e.g. "Too large."): report those keys, as Django's set_many.
      for (const [j, f] of answers)
        if (f.status !== Status.OK && j < items.length) failed.push((items[j] as (typeof encoded)[number])[0])
    })
    const results = await Promise.allSettled(jobs)
    const err = results.find((r) => r.status === 'rejected')
    if (err) throw (err as PromiseRejectedResult).reason
    // No older value may stay readable under a key whose set failed (rule 5).
    if (failed.length) await this._deleteMany(failed)
    return failed
  }

  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    const jobs = [...this.pool.byServer(rawKeys, (k) => k)].map(([i, keys]) =>
      this.pool.pipeline(i, (o, j) => frame(Op.DELETEQ, o, keys[j] as string), keys.length),
    )
    await Promise.all(jobs)
  }

  /** memcached's own INCR/DECR: atomic, keeps the expiry, floors at 0 (rule 7). */
  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    const op = delta < 0 ? Op.DECR : Op.INCR
    const f = await this.pool.connFor(rawKey).request(op, rawKey, incrExtras(Math.abs(delta)))
    if (f.status === Status.OK && f.value.length === 8) {
      const n = f.value.readBigUInt64BE(0)
      // memcached counts in 64 bits; a number past 2^53 would come back rounded (rule 7).
      if (n > BigInt(Number.MAX_SAFE_INTEGER))
        throw new RangeError(unsafeIncrMessage(callerKey, `${n} (now stored)`))
      return Number(n)
    }
    if (f.status === Status.NOT_FOUND) throw new KeyNotFoundError(rawKey)
    if (f.status === Status.NON_NUMERIC) {
      throw new TypeError(`Cannot incr/decr '${callerKey}': the stored value is not a non-negative integer`)
    }
    throw this.failure(f, 'incr')
  }

  /**
   * The entry's absolute expiry, for the tiered backend's L1 copy (docs/contract.md rule 18):
   * the meta command `mg <key> t` answers `HD t<seconds left>` (`t-1`: never) or `EN`
   * (memcached's protocol.txt, "Meta Get").
   */
  protected override async _expiryOf(rawKey: string): Promise<number | null | undefined> {
    const src = this.pool.serverOf(rawKey)
    // Counted from before the request, as redis-store.ts `_expiryOf` (no round trip added).
    const asked = this.now()
    const reply = await textRequest(src, `mg ${rawKey} t\r\n`, metaGetDone, this.timeoutMs)
    const head = reply.toString('latin1', 0, Math.max(0, reply.indexOf('\r\n'))).split(' ')
    if (head[0] !== 'HD') return undefined
    const t = head.slice(1).find((f) => f.startsWith('t'))
    const secs = t === undefined ? Number.NaN : Number(t.slice(1))
    if (!Number.isFinite(secs)) return undefined
    // Whole seconds: round down, so a copy never outlives the entry.
    return secs < 0 ? null : asked + Math.max(0, secs - 1) * 1000
  }

  /**
   * Move a value to another version keeping its remaining time to live (rule 8). The binary
   * protocol cannot read a TTL, so this asks with the meta command `mg <key> t f v`.
   */
  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const src = this.pool.serverOf(fromRaw)
    const reply = await textRequest(src, `mg ${fromRaw} t f v\r\n`, metaGetDone, this.timeoutMs)
    const got = parseMetaGet(reply)
    if (!got) return false
    const exptime = got.ttl < 0 ? 0 : Math.max(1, got.ttl)
    const f = await this.store(Op.SET, toRaw, { flags: got.flags, data: got.data }, exptime)
    if (f.status !== Status.OK) throw this.failure(f, 'set')
    if (fromRaw !== toRaw) await this._delete(fromRaw)
    return true
  }

  /** Every live key through `lru_crawler metadump hash` (or `all`) on each server, values fetched in batches. */
  protected async *_entries(): AsyncIterable<RawEntry> {
    const prefix = this.keyFunction === defaultKeyFunction ? `${this.keyPrefix}:` : ''
    for (let i = 0; i < this.servers.length; i++) {
      let listed: Array<{ rawKey: string; expiresAt: number | null }>
      try {
        listed = await metadump(this.servers[i] as ServerAddress, this.timeoutMs)
      } catch (e) {
        if (!(e instanceof CacheUnavailableError)) throw e
        // Like every read (rule 15): a dead server lists nothing and emits `error`.
        this.noteError(e)
        continue
      }
      // Keys the ring maps elsewhere (left over from another server list) are unreachable.
      const mine = listed.filter((e) => e.rawKey.startsWith(prefix) && this.pool.indexOf(e.rawKey) === i)
      for (let j = 0; j < mine.length; j += 500) {
        const batch = mine.slice(j, j + 500)
        const raw = new Map((await this.getManyRaw(batch.map((e) => e.rawKey))).map((r) => [r.key, r]))
        for (const e of batch) {
          const r = raw.get(e.rawKey)
          if (!r) continue
          const value = decodeMemcachedValue(r.flags, r.buf, r.start, r.end)
          if (value === UNREADABLE) continue
          yield { rawKey: e.rawKey, expiresAt: e.expiresAt, size: r.end - r.start, value }
        }
      }
    }
  }

  /**
   * Rule 16: soft-expire keeping the remaining TTL, which the binary protocol cannot read, so it
   * asks with `mg <key> t f v` as `_moveVersion` does.
   */
  protected override async _expire(rawKey: string): Promise<boolean> {
    const src = this.pool.serverOf(rawKey)
    const got = parseMetaGet(await textRequest(src, `mg ${rawKey} t f v\r\n`, metaGetDone, this.timeoutMs))
    if (!got) return false
    const value = decodeMemcachedValue(got.flags, got.data)
    if (value === UNREADABLE) return false
    const exptime = got.ttl < 0 ? 0 : Math.max(1, got.ttl)
    const f = await this.store(Op.SET, rawKey, encodeMemcachedValue(this.staleEnvelope(value)), exptime)
    if (f.status !== Status.OK) throw this.failure(f, 'set')
    return true
  }

  private metaLeases: MetaLeases | undefined
  private warnedNoMeta = false

  private leaseServer(leaseKey: string): ServerAddress {
    return this.pool.serverOf(leaseKey)
  }

  /**
   * Rule 16: a lease decided by the server (`mg <leaseKey> N<s> c`: one `W` winner; see
   * memcached-lease.ts). A server older than 1.6.10, or refusing meta commands, falls back to
   * the `add` lease with one warning.
   */
  override async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    this.metaLeases ??= new MetaLeases(this.timeoutMs)
    const lk = leaseKeyFor(rawKey)
    const got = await this.metaLeases.acquire(this.leaseServer(lk), lk, ttlMs)
    if (got !== NO_META) return got
    if (!this.warnedNoMeta) {
      this.warnedNoMeta = true
      const message = `${this.metaLeases.why}; using add-based leases instead`
      const proc = process as { emitWarning(m: string, name: string): void }
      proc.emitWarning(message, 'CacheworkWarning')
      if (this.events.active)
        this.emit({ type: 'warning', alias: this.alias, backend: this.backendName, at: this.now(), message })
    }
    return super.acquireLease(rawKey, ttlMs)
  }

  /** Release a meta lease (only if its CAS is unchanged) or an `add` lease. */
  override async releaseLease(rawKey: string, token: string): Promise<void> {
    const lk = leaseKeyFor(rawKey)
    if (!(await (this.metaLeases?.release(this.leaseServer(lk), lk, token) ?? false)))
      await super.releaseLease(rawKey, token)
  }

  protected override async _close(): Promise<void> {
    this.pool.close()
  }
}

registerBackend('memcached', MemcachedCache)

/** `memcached` options, beside the common ones. */
export interface MemcachedOptions extends CommonOptions {
  /** How long a failed server is skipped before reconnecting, in ms. Default 1000. */
  retryMs?: number
}

// The names this entry registers, with their options, for `configureCaches`' types.
declare module '@cachework/core' {
  interface CacheBackends {
    memcached: MemcachedOptions
    'django.core.cache.backends.memcached.PyMemcacheCache': MemcachedOptions
    'django.core.cache.backends.memcached.PyLibMCCache': MemcachedOptions
    'django.core.cache.backends.memcached.MemcachedCache': MemcachedOptions
  }
}
