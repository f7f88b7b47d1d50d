/**
 * The IndexedDB layout of the `indexeddb` backend and how a database is opened. One object
 * store (`entries`, keyPath `k`) holds `{ k, v, e, u }` records with an index on the expiry `e`
 * (a range sweeps the expired ones; never-expiring entries have no `e`, so the index skips them)
 * and one on the last use `u` (LRU culling walks it from the oldest). A second store, `leases`
 * (keyPath `tab`), holds the insert leases of idb-lease.ts.
 */
import { openDB, unwrap } from 'idb'

/** The object store holding the entries. */
export const STORE = 'entries'
/** The object store holding one insert lease per cache instance (keyPath `tab`, idb-lease.ts). */
export const LEASES = 'leases'
/** Index on the expiry time (epoch ms; absent for never). */
export const BY_EXPIRY = 'e'
/** Index on the last use (epoch ms with sub-millisecond ticks; higher is more recent). */
export const BY_USE = 'u'

/** One stored entry. */
export interface IdbRecord {
  /** The made ("raw") key. */
  k: string
  /** The value, structured-cloned by IndexedDB. */
  v: unknown
  /** Expiry, epoch ms; absent (or `Infinity`) for never. */
  e?: number
  /** Last use (rule 11: get, set and incr count as use). */
  u: number
}

/** What the cache wants to hear about its connection. */
export interface ConnectionEvents {
  /** Another connection wants a newer version (or to delete the database): we closed ours. */
  onLost(db: IDBDatabase): void
  /** Our upgrade waits for another connection that does not close. */
  onBlocked(): void
}

function hasSchema(db: IDBDatabase): boolean {
  if (!db.objectStoreNames.contains(STORE) || !db.objectStoreNames.contains(LEASES)) return false
  const idx = db.transaction(STORE, 'readonly').objectStore(STORE).indexNames
  return idx.contains(BY_EXPIRY) && idx.contains(BY_USE)
}

function ensureSchema(db: IDBDatabase, tx: IDBTransaction): void {
  const store = db.objectStoreNames.contains(STORE)
    ? tx.objectStore(STORE)
    : db.createObjectStore(STORE, { keyPath: 'k' })
  if (!store.indexNames.contains(BY_EXPIRY)) store.createIndex(BY_EXPIRY, 'e')
  if (!store.indexNames.contains(BY_USE)) store.createIndex(BY_USE, 'u')
  if (!db.objectStoreNames.contains(LEASES)) db.createObjectStore(LEASES, { keyPath: 'tab' })
}

async function openAt(name: string, version: number | undefined, ev: ConnectionEvents): Promise<IDBDatabase> {
  let raw: IDBDatabase | undefined
  const db = await openDB(name, version, {
    upgrade: (d, _old, _new, tx) => ensureSchema(unwrap(d), unwrap(tx)),
    blocked: () => ev.onBlocked(),
    // A newer version or a deleteDatabase() elsewhere (another tab, devtools) waits for us:
    // close at once so it can proceed; the cache reopens on its next operation.
    blocking: () => {
      if (raw) {
        raw.close()
        ev.onLost(raw)
      }
    },
    terminated: () => {
      if (raw) ev.onLost(raw)
    },
  })
  raw = unwrap(db)
  return raw
}

/**
 * Open `name` at whatever version it has, and upgrade it by one when our store or indexes are
 * missing (a database created by someone else, or upgraded by a newer page that dropped them).
 * Never opens at a fixed version, so a database bumped by another tab does not fail with
 * `VersionError`.
 */
export async function openCacheDb(name: string, ev: ConnectionEvents): Promise<IDBDatabase> {
  for (let attempt = 0; ; attempt++) {
    const db = await openAt(name, undefined, ev)
    if (hasSchema(db)) return db
    const next = db.version + 1
    db.close()
    try {
      return await openAt(name, next, ev)
    } catch (e) {
      // Someone else upgraded in between: start over from their version.
      if (attempt < 3 && e instanceof DOMException && e.name === 'VersionError') continue
      throw e
    }
  }
}
