/**
 * `indexeddb`: a cache in the page's (or worker's) IndexedDB, opened with idb. IndexedDB has no
 * expiry and no bound, so both live here: expiry is checked on read (Django's file and db
 * backends do the same, django-cache.md §2.2-2.3) and culling follows rule 11 with locmem's
 * LRU order, walking the `u` index. Every read-modify-write (`add`, `incr`, `touch`, version
 * moves, culling) runs in ONE readwrite transaction, which IndexedDB serialises across tabs, so
 * two tabs incrementing one key lose nothing. Hot paths use raw IDB requests, as idb-keyval
 * does, to avoid a proxy per call.
 */
import {
  BaseCache,
  CacheError,
  CacheUnavailableError,
  type CacheInit,
  KeyNotFoundError,
  type RawEntry,
  type StoredEntry,
  type Timeout,
  type VersionOpts,
  addDelta,
  encodeValue,
  registerBackend,
} from '@cachework/core'
import { type IdbRecord, STORE, openCacheDb } from './idb-schema.ts'
import { LastUses, RELAXED, abortQuietly, committed, cullStore, req } from './idb-store.ts'
import { crossTabGetOrSet } from './web-locks.ts'

const MISSING: unique symbol = Symbol('cachework.idb.missing')
/**
 * The IndexedDB backend (`indexeddb`). `location` is the database name (default `'cachework'`).
 * Options: `maxEntries` (300), `cullFrequency` (3), `timeoutMs` (1000), `ignoreErrors` (false).
 */
export class IndexedDBCache extends BaseCache {
  static override readonly backendName: string = 'indexeddb'
  protected override readonly usesIO: boolean = true
  /** The IndexedDB database name. */
  readonly dbName: string
  private handle: IDBDatabase | undefined
  private opening: Promise<IDBDatabase> | undefined
  /** Last uses: ticks for writes, and the ones reads saw, written lazily (see `LastUses`). */
  private readonly uses = new LastUses(() => {
    this.run('readwrite', (s) => this.uses.flush(s, true)).catch(() => undefined)
  })
  private readonly flights = new Map<string, Promise<unknown>>()

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const loc = Array.isArray(this.location) ? this.location.join(',') : this.location
    this.dbName = loc === '' ? 'cachework' : loc
  }

  // ---- connection ----

  private open(): Promise<IDBDatabase> {
    this.opening ??= openCacheDb(this.dbName, {
      onLost: (db) => {
        if (this.handle === db) this.handle = undefined
      },
      onBlocked: () =>
        this.noteError(
          new CacheUnavailableError(
            `IndexedDB database '${this.dbName}' is held open by another tab at an older version: close that tab or reload it`,
          ),
        ),
    }).then(
      (db) => {
        this.handle = db
        this.opening = undefined
        return db
      },
      (e) => {
        this.opening = undefined
        throw e
      },
    )
    return this.opening
  }

  /**
   * A transaction on the entries store (synchronously when the connection is open); reopens
   * once when the connection was closed under us. A cache can lose its last writes on a power
   * cut, so relaxed durability skips the disk flush.
   */
  private txn(mode: IDBTransactionMode): IDBTransaction | Promise<IDBTransaction> {
    const db = this.handle
    if (db !== undefined) {
      try {
        return db.transaction(STORE, mode, RELAXED)
      } catch {
        if (this.handle === db) this.handle = undefined
      }
    }
    return this.txnSlow(mode)
  }

  private async txnSlow(mode: IDBTransactionMode): Promise<IDBTransaction> {
    for (let attempt = 0; ; attempt++) {
      const db = this.handle ?? (await this.open())
      try {
        return db.transaction(STORE, mode, RELAXED)
      } catch (e) {
        if (this.handle === db) this.handle = undefined
        if (attempt === 0 && e instanceof DOMException && e.name === 'InvalidStateError') continue
        throw e
      }
    }
  }

  /** Translate a storage failure for BaseCache (rule 15); programming errors pass through. */
  private fail(e: unknown): Error {
    if (e instanceof CacheError || e instanceof TypeError) return e
    if (e instanceof DOMException && e.name === 'DataCloneError') {
      return new TypeError(`cachework cannot store this value: ${e.message}`)
    }
    const name = e instanceof DOMException ? e.name : 'Error'
    if (name === 'InvalidStateError' || name === 'UnknownError') this.handle = undefined
    const hint =
      name === 'QuotaExceededError'
        ? "the origin's storage quota is full: clear some storage or lower maxEntries"
        : 'the database could not be used; it is reopened on the next operation'
    return new CacheUnavailableError(
      `IndexedDB database '${this.dbName}' failed (${name}: ${(e as Error)?.message ?? String(e)}): ${hint}`,
      { cause: e },
    )
  }

  /** Run `body` in one transaction and wait for the commit; abort on any error. */
  private async run<T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => Promise<T>): Promise<T> {
    let t: IDBTransaction | undefined
    try {
      const got = this.txn(mode)
      t = got instanceof IDBTransaction ? got : await got
      // A read has its answer already; only writes wait for the commit (as idb-keyval does).
      if (mode === 'readonly') return await body(t.objectStore(STORE))
      const done = committed(t)
      // Never an unhandled rejection: the commit is awaited below, or the body failed first.
      done.catch(() => undefined)
      const out = await body(t.objectStore(STORE))
      await done
      return out
    } catch (e) {
      if (t) abortQuietly(t)
      throw this.fail(e)
    }
  }

  // ---- helpers ----

  private live(rec: IdbRecord | undefined): rec is IdbRecord {
    return rec !== undefined && !this.isExpired(rec.e)
  }

  private record(k: string, v: unknown, expiresAt: number | null, u = this.uses.next()): IdbRecord {
    // A never-expiring entry has no `e`, so the expiry index skips it: one index write less.
    return expiresAt === null ? { k, v, u } : { k, v, e: expiresAt, u }
  }

  private entry(rec: IdbRecord): StoredEntry {
    return {
      value: rec.v,
      expiresAt: rec.e === undefined || rec.e === Number.POSITIVE_INFINITY ? null : rec.e,
    }
  }

  /**
   * Write `recs`, then cull when one of their keys was not live (rule 11). The reads of the old
   * entries and the puts are queued together; culling after the puts inside the same
   * transaction is the same as culling before them, since the new records are excluded and
   * counted out. A batch (setMany) is culled once, for all its new keys.
   */
  private async insert(s: IDBObjectStore, ...recs: IdbRecord[]): Promise<void> {
    const oldReqs = recs.map((rec) => {
      const r = s.get(rec.k) as IDBRequest<IdbRecord | undefined>
      s.put(rec) // a DataCloneError is thrown here, synchronously: run() aborts the transaction
      return r
    })
    const olds = await Promise.all(oldReqs.map(req))
    if (olds.every((old) => this.live(old))) return
    const total = await req(s.count())
    // An expired entry of a new key stays among the others, as Django counts before deleting it.
    const added = olds.filter((old) => old === undefined).length
    await this.cullBeforeInsert(cullStore(s, recs, total - added, () => this.uses.flush(s)))
  }

  /** Remove entries a read found expired, re-checking inside a readwrite transaction. */
  private async dropExpired(rawKeys: string[]): Promise<void> {
    for (const k of rawKeys) this.noteExpired(k)
    await this.run('readwrite', async (s) => {
      for (const k of rawKeys) {
        const r = s.get(k)
        r.onsuccess = () => {
          const rec = r.result as IdbRecord | undefined
          if (rec && this.isExpired(rec.e)) s.delete(k)
        }
      }
    })
  }

  // ---- storage primitives ----

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const rec = await this.run('readonly', (s) => req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>))
    if (rec === undefined) return undefined
    if (this.isExpired(rec.e)) {
      await this.dropExpired([rawKey])
      return undefined
    }
    this.uses.note(rec)
    return this.entry(rec)
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    // has_key does not count as use (django-cache.md §2.1), so nothing is written.
    const rec = await this.run('readonly', (s) => req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>))
    return this.live(rec)
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const recs = await this.run('readonly', (s) =>
      Promise.all(rawKeys.map((k) => req(s.get(k) as IDBRequest<IdbRecord | undefined>))),
    )
    const out = new Map<string, unknown>()
    const expired: string[] = []
    for (const rec of recs) {
      if (rec === undefined) continue
      if (this.isExpired(rec.e)) expired.push(rec.k)
      else {
        out.set(rec.k, rec.v)
        this.uses.note(rec)
      }
    }
    if (expired.length > 0) await this.dropExpired(expired)
    return out
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    await this.run('readwrite', (s) => this.insert(s, this.record(rawKey, value, expiresAt)))
    return true
  }

  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    // One transaction: all stored or none (a value that cannot be cloned aborts the lot).
    await this.run('readwrite', async (s) => {
      await this.insert(s, ...pairs.map(([k, v]) => this.record(k, v, expiresAt)))
    })
    return []
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    return this.run('readwrite', async (s) => {
      const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
      if (this.live(old)) return false
      await this.insert(s, this.record(rawKey, value, expiresAt))
      return true
    })
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    return this.run('readwrite', async (s) => {
      const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
      if (!this.live(old)) return false
      if (expiresAt === null) delete old.e
      else old.e = expiresAt
      await req(s.put(old))
      return true
    })
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    return this.run('readwrite', async (s) => {
      const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
      if (old === undefined) return false
      s.delete(rawKey)
      return this.live(old)
    })
  }

  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    await this.run('readwrite', async (s) => {
      for (const k of rawKeys) s.delete(k)
    })
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    // Read, add and write in one readwrite transaction: IndexedDB runs overlapping readwrite
    // transactions one after another, in this tab and every other (rule 7).
    const n = await this.run('readwrite', async (s) => {
      const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
      if (!this.live(old)) return MISSING
      const next = addDelta(old.v, delta, callerKey)
      old.v = next
      old.u = this.uses.next()
      await req(s.put(old))
      return next
    })
    if (n === MISSING) throw new KeyNotFoundError(rawKey)
    return n
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    return this.run('readwrite', async (s) => {
      const from = await req(s.get(fromRaw) as IDBRequest<IdbRecord | undefined>)
      if (!this.live(from)) return false
      if (fromRaw === toRaw) return true
      s.delete(fromRaw)
      await this.insert(s, { ...from, k: toRaw })
      return true
    })
  }

  protected async _clear(): Promise<void> {
    this.uses.forget()
    await this.run('readwrite', async (s) => {
      s.clear()
    })
  }

  protected async *_entries(): AsyncIterable<RawEntry> {
    // Page through in batches: a transaction cannot stay open while the consumer awaits.
    let after: string | undefined
    for (;;) {
      const range = after === undefined ? null : IDBKeyRange.lowerBound(after, true)
      const page = await this.run('readonly', (s) => req(s.getAll(range, 500) as IDBRequest<IdbRecord[]>))
      for (const rec of page) {
        let size: number | undefined
        try {
          size = encodeValue(rec.v).length
        } catch {
          size = undefined
        }
        yield { rawKey: rec.k, expiresAt: this.entry(rec).expiresAt as number | null, size, value: rec.v }
      }
      if (page.length < 500) return
      after = (page[page.length - 1] as IdbRecord).k
    }
  }

  protected override async _close(): Promise<void> {
    this.uses.stopTimer()
    if (this.uses.pending > 0 && this.handle) {
      await this.run('readwrite', (s) => this.uses.flush(s)).catch(() => undefined)
    }
    const db = this.handle ?? (await this.opening?.catch(() => undefined))
    this.handle = undefined
    db?.close()
  }

  /**
   * Rule 9 across tabs: besides the in-page single flight, the computation runs under a Web Lock
   * named after the database and key, and the cache is read again once the lock is held, so
   * tabs of one origin racing on a miss run the factory once in total.
   */
  override async getOrSet<T>(
    key: string,
    defaultValue: T | (() => T | Promise<T>),
    timeout?: Timeout,
    opts?: VersionOpts,
  ): Promise<T> {
    const raw = this.rawKey(key, opts?.version)
    return crossTabGetOrSet(
      this,
      this.flights,
      `cachework:indexeddb:${this.dbName}:${raw}`,
      raw,
      key,
      defaultValue,
      timeout,
      opts,
    )
  }
}

registerBackend('indexeddb', IndexedDBCache)
