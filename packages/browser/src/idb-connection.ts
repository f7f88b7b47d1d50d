/**
 * The `indexeddb` backend's connection: opened with idb (idb-schema.ts), transactions created
 * synchronously while it is open, reopened after another tab closed it under us, and storage
 * failures translated for BaseCache's rule 15.
 */
import { CacheError, CacheUnavailableError } from '@cachework/core'
import { STORE, openCacheDb } from './idb-schema.ts'
import { RELAXED, abortQuietly, committed } from './idb-store.ts'

/** One database's connection, as a cache uses it. */
export class IdbConnection {
  private handle: IDBDatabase | undefined
  private opening: Promise<IDBDatabase> | undefined

  /** `onBlocked` hears when an upgrade waits for another tab's older connection. */
  constructor(
    readonly dbName: string,
    private readonly onBlocked: (error: CacheUnavailableError) => void,
  ) {}

  /** Whether the database is open now. */
  get isOpen(): boolean {
    return this.handle !== undefined
  }

  private open(): Promise<IDBDatabase> {
    this.opening ??= openCacheDb(this.dbName, {
      onLost: (db) => {
        if (this.handle === db) this.handle = undefined
      },
      onBlocked: () =>
        this.onBlocked(
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
   * A transaction over `scope` (synchronously when the connection is open); reopens once when
   * the connection was closed under us. A cache can lose its last writes on a power cut, so
   * relaxed durability skips the disk flush.
   */
  private txn(mode: IDBTransactionMode, scope: string | string[]): IDBTransaction | Promise<IDBTransaction> {
    const db = this.handle
    if (db !== undefined) {
      try {
        return db.transaction(scope, mode, RELAXED)
      } catch {
        if (this.handle === db) this.handle = undefined
      }
    }
    return this.txnSlow(mode, scope)
  }

  private async txnSlow(mode: IDBTransactionMode, scope: string | string[]): Promise<IDBTransaction> {
    for (let attempt = 0; ; attempt++) {
      const db = this.handle ?? (await this.open())
      try {
        return db.transaction(scope, mode, RELAXED)
      } catch (e) {
        if (this.handle === db) this.handle = undefined
        if (attempt === 0 && e instanceof DOMException && e.name === 'InvalidStateError') continue
        throw e
      }
    }
  }

  /** Translate a storage failure for BaseCache (rule 15); programming errors pass through. */
  private fail(e: unknown): Error {
    if (e instanceof CacheError || e instanceof TypeError || e instanceof RangeError) return e
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

  /**
   * Run `body` on the entries store in one transaction (over `scope`, the entries store alone by
   * default) and wait for the commit; abort on any error.
   */
  async run<T>(
    mode: IDBTransactionMode,
    body: (s: IDBObjectStore) => Promise<T>,
    scope: string | string[] = STORE,
  ): Promise<T> {
    let t: IDBTransaction | undefined
    try {
      const got = this.txn(mode, scope)
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

  /** Close the database (waiting for an open in progress); the next `run` reopens it. */
  async close(): Promise<void> {
    const db = this.handle ?? (await this.opening?.catch(() => undefined))
    this.handle = undefined
    db?.close()
  }
}
