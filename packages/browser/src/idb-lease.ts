/**
 * Insert leases: how `set` on the `indexeddb` backend skips reading the old entry without
 * breaking rule 11 across tabs.
 *
 * Rule 11 culls only before a key that is not live is stored while the store holds `maxEntries`
 * or more. Finding out whether the key is live costs a read in the write transaction (an extra
 * IndexedDB request: about a fifth of a set's time in Chromium). A lease is a promise, recorded
 * in the database, that its holder may store `n` more entries without looking: it is granted
 * inside a readwrite transaction from the real count, and only as long as
 * `count + every unexpired lease + n <= maxEntries`, so even if every leased insert is a new key
 * the store never reaches `maxEntries` without a cull check. Each use of the lease assumes a new
 * key (an overwrite wastes one unit, nothing more). In return, the checked path of every other
 * holder counts unexpired leases as occupied: with several tabs writing at once, a cull can come
 * up to their leased room early, but the store never grows past `maxEntries`. A holder stops using its lease at `until`;
 * others count it until `until + GRACE_MS`, covering its transactions still in flight, and a
 * renewal also counts the holder's own inserts still in flight. A tab that dies simply lets its
 * lease run out. Times are the real clock (`Date.now()`), shared by every tab of the machine.
 */
import { LEASES } from './idb-schema.ts'
import { req } from './idb-store.ts'

/** How long a lease may be used (ms). */
const LEASE_MS = 2000
/** How much longer the other holders keep counting it (transactions queued before `until`). */
const GRACE_MS = 2000

interface LeaseRecord {
  tab: string
  /** Inserts granted. */
  n: number
  /** Epoch ms after which the holder no longer uses it. */
  until: number
}

function holderId(): string {
  const c = globalThis.crypto
  return typeof c?.randomUUID === 'function' ? c.randomUUID() : `${Date.now()}-${Math.random()}`
}

/** One cache instance's lease on one database. */
export class InsertLease {
  private readonly tab = holderId()
  private left = 0
  private until = 0
  /** Inserts taken whose transactions have not finished yet. */
  private inflight = 0
  /** What the last renewal granted (0: the store had no room then). */
  private granted = 0

  /**
   * Take `n` inserts from the lease: false when it cannot cover them (take the checked path).
   * After true, call `settle(n)` once the write's transaction has finished, whatever its outcome.
   */
  take(n: number): boolean {
    if (this.left < n || Date.now() >= this.until) return false
    this.left -= n
    this.inflight += n
    return true
  }

  /** The transaction of `n` taken inserts has finished (committed or failed). */
  settle(n: number): void {
    this.inflight -= n
  }

  /**
   * Whether the checked path, which just stored `n` entries, should renew: the lease cannot
   * cover `n` or expires within a second, and there can be room (the last renewal found some, a
   * cull just made some, or the last answer is old). At capacity this keeps the renewal's two
   * extra reads off every set.
   */
  wants(n: number, culled: boolean): boolean {
    const now = Date.now()
    if (this.left >= n && now < this.until - LEASE_MS / 2) return false
    return culled || this.granted > 0 || now >= this.until
  }

  /**
   * The room other holders' unexpired leases hold, read in a transaction over `leases` (expired
   * leases are deleted on the way when the transaction is readwrite). The checked path counts
   * it as occupied, so nobody fills room that another tab may use without looking.
   */
  async othersHeld(entries: IDBObjectStore): Promise<number> {
    const leases = entries.transaction.objectStore(LEASES)
    const all = await req(leases.getAll() as IDBRequest<LeaseRecord[]>)
    const now = Date.now()
    let held = 0
    for (const l of all) {
      if (l.tab === this.tab) continue
      if (l.until + GRACE_MS > now) held += l.n
      else leases.delete(l.tab)
    }
    return held
  }

  /**
   * Renew inside a readwrite transaction over `entries` and `leases`, after this transaction's
   * own inserts and cull: grant half the room that neither another unexpired lease nor our own
   * inserts in flight hold. The record shows both, so other holders count them.
   */
  async renew(entries: IDBObjectStore, maxEntries: number): Promise<void> {
    const [count, others] = await Promise.all([req(entries.count()), this.othersHeld(entries)])
    const n = Math.max(0, Math.floor((maxEntries - count - others - this.inflight) / 2))
    this.left = n
    this.granted = n
    this.until = Date.now() + LEASE_MS
    const held = n + this.inflight
    const leases = entries.transaction.objectStore(LEASES)
    if (held > 0) leases.put({ tab: this.tab, n: held, until: this.until } satisfies LeaseRecord)
    else leases.delete(this.tab)
  }
}
