/**
 * IndexedDB plumbing for the `indexeddb` backend: requests as promises, last-use tracking and
 * the rule 11 cull over one transaction. Raw IDB (not idb's proxies) on these hot paths, as
 * idb-keyval does.
 */
import type { CullableStore } from '@cachework/core/backend'
import { BY_EXPIRY, BY_USE, type IdbRecord } from './idb-schema.ts'

/** Settle an IDB request as a promise (resolves in a microtask, so the transaction stays active). */
export function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

/** Resolve when the transaction commits; reject with its error when it aborts. */
export function committed(t: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    t.oncomplete = () => resolve()
    t.onabort = () => reject(t.error ?? new DOMException('The transaction was aborted', 'AbortError'))
  })
}

/** Abort, ignoring a transaction that already finished. */
export function abortQuietly(t: IDBTransaction): void {
  try {
    t.abort()
  } catch {
    // Already committed or aborted: nothing to undo.
  }
}

/** A cache can lose its last writes on a power cut: relaxed durability skips the disk flush. */
export const RELAXED: IDBTransactionOptions = { durability: 'relaxed' }

/** How soon reads' last uses that matter to other tabs are written (ms). */
const USE_FLUSH_MS = 3000
/** A read's use matters to other tabs when it moves the stored last use by more than this (ms). */
const USE_PERSIST_MS = 10_000

/**
 * Last uses (rule 11: get, set and incr count as use). Writes stamp `next()` into the record.
 * Reads stay read-only transactions: the use they saw is remembered here and written lazily,
 * since LRU order matters only when culling and writing a use rewrites the record. Everything
 * pending is written before a cull in this tab (exact LRU there) and on close; a use that moves
 * an entry by more than USE_PERSIST_MS is also written within USE_FLUSH_MS, for other tabs.
 */
export class LastUses {
  private readonly pendingUses = new Map<string, [use: number, stored: number]>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private last = 0

  /** `persist` runs a readwrite transaction calling `flush(store, true)`. */
  constructor(private readonly persist: () => void) {}

  /** How many reads' uses wait to be written. */
  get pending(): number {
    return this.pendingUses.size
  }

  /** A new tick: epoch ms, strictly increasing within this realm. */
  next(): number {
    const t = Date.now()
    this.last = t > this.last ? t : this.last + 1 / 1024
    return this.last
  }

  /** A read used the entry `rec`. */
  note(rec: IdbRecord): void {
    const u = this.next()
    this.pendingUses.set(rec.k, [u, rec.u])
    if (u - rec.u > USE_PERSIST_MS && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.persist()
      }, USE_FLUSH_MS)
    }
  }

  /** Drop what is pending (the store was cleared). */
  forget(): void {
    this.pendingUses.clear()
  }

  /** Cancel the pending write-back timer (on close). */
  stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  /**
   * Write pending uses in a readwrite transaction (all, or only those that matter to other
   * tabs); resolves once their puts are queued, so requests queued after see them.
   */
  async flush(s: IDBObjectStore, onlyStale = false): Promise<void> {
    if (this.pendingUses.size === 0) return
    const pending: Array<[string, number]> = []
    for (const [k, [u, stored]] of this.pendingUses) {
      if (onlyStale && u - stored <= USE_PERSIST_MS) continue
      pending.push([k, u])
      this.pendingUses.delete(k)
    }
    if (pending.length === 0) return
    const recs = await Promise.all(pending.map(([k]) => req(s.get(k) as IDBRequest<IdbRecord | undefined>)))
    recs.forEach((rec, i) => {
      const u = (pending[i] as [string, number])[1]
      if (rec && rec.u < u) {
        rec.u = u
        s.put(rec)
      }
    })
  }
}

/**
 * Rule 11 over one transaction, for the insertion of `recs`, which are already written (their
 * puts were queued first to save a round trip): `others` entries besides them, plus `held` room
 * that other tabs' insert leases hold (idb-lease.ts); expired ones go through the expiry index,
 * then the least recently used through the last-use index, each O(removed). The new records are
 * never culled. `beforeLru` writes pending read-side uses.
 */
export function cullStore(
  s: IDBObjectStore,
  recs: IdbRecord[],
  others: number,
  held: number,
  beforeLru: () => Promise<void>,
): CullableStore {
  const mine = new Set(recs.map((r) => r.k))
  const sweep = async (
    source: IDBIndex,
    range: IDBKeyRange | null,
    max: number,
    on?: (k: string) => void,
  ): Promise<number> => {
    let n = 0
    const r = source.openKeyCursor(range)
    let c = await req(r)
    while (c && n < max) {
      const k = c.primaryKey as string
      if (!mine.has(k)) {
        s.delete(k)
        n++
        on?.(k)
      }
      c.continue()
      c = await req(r)
    }
    return n
  }
  return {
    size: () => others + held,
    removeExpired: (now, on) => sweep(s.index(BY_EXPIRY), IDBKeyRange.upperBound(now), Infinity, on),
    removeSome: async (n, on) => {
      // Requests run in order: the cursor opened after the flush sees the written uses.
      await beforeLru()
      return sweep(s.index(BY_USE), null, n, on)
    },
    removeAll: async () => {
      s.clear()
      for (const rec of recs) s.put(rec)
      return others
    },
  }
}
