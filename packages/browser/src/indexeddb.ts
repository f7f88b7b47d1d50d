/**
 * `indexeddb`: a cache in the page's (or worker's) IndexedDB, opened with idb. IndexedDB has no
 * expiry and no bound, so both live here: expiry is checked on read (Django's file and db
 * backends do the same, django/core/cache/backends/filebased.py, django/core/cache/backends/db.py) and culling follows rule 11 with locmem's
 * LRU order, walking the `u` index. Every read-modify-write (`add`, `incr`, `touch`, version
 * moves, culling) runs in ONE readwrite transaction, which IndexedDB serialises across tabs, so
 * two tabs incrementing one key lose nothing. A `set` reads the old entry (is it live? rule 11)
 * only when a cull may be due: under an insert lease (idb-lease.ts) it is one put, as in
 * idb-keyval. Hot paths use raw IDB requests, as idb-keyval does, to avoid a proxy per call.
 */
import { type CacheInit, type CommonOptions, KeyNotFoundError, registerBackend } from '@cachework/core'
import {
  assertStorable,
  type RawEntry,
  type StoredEntry,
  addDelta,
  encodeValue,
} from '@cachework/core/backend'
import { InsertLease } from './idb-lease.ts'
import { IdbConnection } from './idb-connection.ts'
import { type IdbRecord, LEASES, STORE } from './idb-schema.ts'
import { LastUses, cullStore, req } from './idb-store.ts'
import { CrossTabCache } from './cross-tab-cache.ts'

const MISSING: unique symbol = Symbol('cachework.idb.missing')
/** The scope of every transaction that may insert a key on the checked path (`insert`). */
const WITH_LEASES = [STORE, LEASES]

/**
 * The IndexedDB backend (`indexeddb`). `location` is the database name (default `'cachework'`).
 * Options: `maxEntries` (300), `cullFrequency` (3), `timeoutMs` (1000), `ignoreErrors` (false).
 */
export class IndexedDBCache extends CrossTabCache {
  static override readonly backendName: string = 'indexeddb'
  protected override readonly usesIO: boolean = true
  /** The IndexedDB database name. */
  readonly dbName: string
  private readonly db: IdbConnection
  /** Last uses: ticks for writes, and the ones reads saw, written lazily (see `LastUses`). */
  private readonly uses = new LastUses(() => {
    this.db.run('readwrite', (s) => this.uses.flush(s, true)).catch(() => undefined)
  })
  /** Lets `set` skip reading the old entry while no cull can be due (idb-lease.ts). */
  private readonly lease = new InsertLease()

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const loc = Array.isArray(this.location) ? this.location.join(',') : this.location
    this.dbName = loc === '' ? 'cachework' : loc
    this.db = new IdbConnection(this.dbName, (e) => this.noteError(e))
  }

  // ---- helpers ----

  private live(rec: IdbRecord | undefined): rec is IdbRecord {
    return rec !== undefined && !this.isExpired(rec.e)
  }

  private record(k: string, v: unknown, expiresAt: number | null, u = this.uses.next()): IdbRecord {
    // IndexedDB clones by itself (and would keep a Blob): refuse what every backend refuses.
    assertStorable(v)
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
    const [total, held] = await Promise.all([req(s.count()), this.lease.othersHeld(s)])
    // An expired entry of a new key stays among the others, as Django counts before deleting it.
    const added = olds.filter((old) => old === undefined).length
    await this.cullBeforeInsert(cullStore(s, recs, total - added, held, () => this.uses.flush(s)))
  }

  /** Remove entries a read found expired, re-checking inside a readwrite transaction. */
  private async dropExpired(rawKeys: string[]): Promise<void> {
    for (const k of rawKeys) this.noteExpired(k)
    await this.db.run('readwrite', async (s) => {
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
    const rec = await this.db.run('readonly', (s) => req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>))
    if (rec === undefined) return undefined
    if (this.isExpired(rec.e)) {
      await this.dropExpired([rawKey])
      return undefined
    }
    this.uses.note(rec)
    return this.entry(rec)
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    // has_key does not count as use (django/core/cache/backends/locmem.py), so nothing is written.
    const rec = await this.db.run('readonly', (s) => req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>))
    return this.live(rec)
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const recs = await this.db.run('readonly', (s) =>
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
    await this.store([this.record(rawKey, value, expiresAt)])
    return true
  }

  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    // One transaction: all stored or none (a value that cannot be cloned aborts the lot).
    await this.store(pairs.map(([k, v]) => this.record(k, v, expiresAt)))
    return []
  }

  /**
   * Store `recs` in one transaction. Under an insert lease no cull can be due (idb-lease.ts), so
   * the records are just put, as idb-keyval does; otherwise `insert` reads the old entries and
   * culls by rule 11, and the lease is renewed in the same transaction.
   */
  private async store(recs: IdbRecord[]): Promise<void> {
    const n = recs.length
    if (this.lease.take(n)) {
      try {
        await this.db.run('readwrite', async (s) => {
          for (const rec of recs) s.put(rec) // a DataCloneError throws here: run() aborts
        })
      } finally {
        this.lease.settle(n)
      }
      return
    }
    await this.db.run(
      'readwrite',
      async (s) => {
        const before = this.counters.evictions + this.counters.expirations
        await this.insert(s, ...recs)
        const culled = this.counters.evictions + this.counters.expirations > before
        if (this.lease.wants(n, culled)) await this.lease.renew(s, this.maxEntries)
      },
      WITH_LEASES,
    )
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    return this.db.run(
      'readwrite',
      async (s) => {
        const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
        if (this.live(old)) return false
        await this.insert(s, this.record(rawKey, value, expiresAt))
        return true
      },
      WITH_LEASES,
    )
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    return this.db.run('readwrite', async (s) => {
      const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
      if (!this.live(old)) return false
      if (expiresAt === null) delete old.e
      else old.e = expiresAt
      await req(s.put(old))
      return true
    })
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    return this.db.run('readwrite', async (s) => {
      const old = await req(s.get(rawKey) as IDBRequest<IdbRecord | undefined>)
      if (old === undefined) return false
      s.delete(rawKey)
      return this.live(old)
    })
  }

  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    await this.db.run('readwrite', async (s) => {
      for (const k of rawKeys) s.delete(k)
    })
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    // Read, add and write in one readwrite transaction: IndexedDB runs overlapping readwrite
    // transactions one after another, in this tab and every other (rule 7).
    const n = await this.db.run('readwrite', async (s) => {
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
    return this.db.run(
      'readwrite',
      async (s) => {
        const from = await req(s.get(fromRaw) as IDBRequest<IdbRecord | undefined>)
        if (!this.live(from)) return false
        if (fromRaw === toRaw) return true
        s.delete(fromRaw)
        await this.insert(s, { ...from, k: toRaw })
        return true
      },
      WITH_LEASES,
    )
  }

  protected async _clear(): Promise<void> {
    this.uses.forget()
    await this.db.run('readwrite', async (s) => {
      s.clear()
    })
  }

  protected async *_entries(opts?: { sizes?: boolean }): AsyncIterable<RawEntry> {
    const sizes = opts?.sizes !== false
    // Page through in batches: a transaction cannot stay open while the consumer awaits.
    let after: string | undefined
    for (;;) {
      const range = after === undefined ? null : IDBKeyRange.lowerBound(after, true)
      const page = await this.db.run('readonly', (s) => req(s.getAll(range, 500) as IDBRequest<IdbRecord[]>))
      for (const rec of page) {
        let size: number | undefined
        try {
          // The size is the encoded form's: an encoding per entry, skipped when not asked for.
          size = sizes ? encodeValue(rec.v).length : undefined
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
    if (this.uses.pending > 0 && this.db.isOpen) {
      await this.db.run('readwrite', (s) => this.uses.flush(s)).catch(() => undefined)
    }
    await this.db.close()
  }

  protected override leaseLockPrefix(): string {
    return `cachework:indexeddb-lease:${this.dbName}:`
  }

  protected override flightLockName(rawKey: string): string {
    return `cachework:indexeddb:${this.dbName}:${rawKey}`
  }
}

registerBackend('indexeddb', IndexedDBCache)

/** `indexeddb` options: the common ones (`maxEntries`, `cullFrequency`, `timeoutMs`, `ignoreErrors`, `clock`). */
export type IndexedDBOptions = CommonOptions

// The name this entry registers, with its options, for `configureCaches`' types.
declare module '@cachework/core' {
  interface CacheBackends {
    indexeddb: IndexedDBOptions
  }
}
