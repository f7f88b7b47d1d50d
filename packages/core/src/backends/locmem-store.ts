/**
 * The store of the `locmem` backend (locmem.ts): one per `location` and realm, its items and
 * their LRU order (django/core/cache/backends/locmem.py; docs/contract.md rule 11; how the order
 * is kept is in the file comment of locmem.ts).
 */
import type { Clock } from '../clock.ts'
import type { Snapshot } from '../clone.ts'

export interface Item extends Snapshot {
  /**
   * `e` coarsened for a hit's expiry test (`coarseExpiry`, `expired`): a small integer, which V8
   * keeps in the item itself, where the double `e` is a separate heap number (one more cache
   * miss per hit in a large store).
   */
  q: number
  /** Expiry, epoch ms, or null. */
  e: number | null
  /** Use stamp while the store keeps no list (`Store.listed`): higher is more recent. */
  u: number
  /**
   * How a hit answers, known at write time so a hit reads neither the value nor `kind`: 0, `v`
   * as is (kind 0); 1, a copy by `plan` (kind 1, `restoreTree`); 3, `structuredClone` (kind 2);
   * 2, the value is an entry envelope (rule 16 metadata) and the generic path reads it; 4, a
   * copy by `plan` of the flat stored form (kind 3, `restoreFlat`: nested arrays are `Leaves`).
   */
  h: 0 | 1 | 2 | 3 | 4
  k: string
  /** The direct index (of one cache) that holds this item, or null; see `DirectIndex`. */
  d: DirectIndex | null
  /** The caller's key under which `d` holds this item. */
  ck: string | undefined
  /** Toward the most recently used end. */
  p: Item | null
  /** Toward the least recently used end. */
  n: Item | null
}

/**
 * Caller key (default version) → item, for one cache. Exact: it holds an item only while the
 * item is in the store and `item.d`/`item.ck` name this entry (`indexItem`; `Store.remove` and
 * `Store.clear` drop the entry), so a hit trusts what it finds and reads neither field.
 */
export type DirectIndex = Map<string, Item>

/** Index `it` under `key` in `d`, taking it out of the index entry that held it before. */
export function indexItem(d: DirectIndex, key: string, it: Item): void {
  if (it.d === d && it.ck === key) return
  if (it.d !== null) it.d.delete(it.ck as string)
  const old = d.get(key)
  if (old !== undefined && old !== it) old.d = null // only a key function that is not a function of its input gets here
  d.set(key, it)
  it.d = d
  it.ck = key
}

function unindex(it: Item): void {
  if (it.d !== null) {
    it.d.delete(it.ck as string)
    it.d = null
  }
}

/** `Item.q` unit: 2^12 ms, so epoch ms up to 2^42 (year 2109) coarsen to a small integer. */
const Q_MS = 4096
/** `Item.q` of an item that never expires; finite expiries stay below it. */
const Q_NEVER = 2 ** 30 - 1

/**
 * `Item.q` for expiry `e`: a lower bound of `e / Q_MS` (so `q > now / Q_MS` proves `e > now`),
 * `Q_NEVER` for null, 0 (always tested exactly) for a negative or NaN `e`.
 */
export function coarseExpiry(e: number | null): number {
  if (e === null) return Q_NEVER
  if (e >= 0) return e < (Q_NEVER - 1) * Q_MS ? Math.floor(e / Q_MS) : Q_NEVER - 1
  return 0
}

/**
 * Whether `it` has expired (`e <= now`: a miss, docs/contract.md rule 4) at `given`, or else by
 * `clock`, which is read only for an item that can expire; the heap number `e` is read only
 * within Q_MS of the expiry.
 */
export function expired(it: Item, clock: Clock, given: number | undefined): boolean {
  const q = it.q
  if (q === Q_NEVER) return false
  const now = given ?? clock.now()
  // For an integer q, `q <= now / Q_MS` is `q <= floor(now / Q_MS)`: no rounding needed.
  return q <= (now >= 0 ? now / Q_MS : 0) && (it.e as number) <= now
}

/** Use stamps stay below this (small integers, so V8 stores them in place). */
const STAMP_LIMIT = 2 ** 30 - 1

/** One named store: the entries and their LRU order (see the file comment of locmem.ts). */
export class Store {
  readonly map = new Map<string, Item>()
  head: Item | null = null
  tail: Item | null = null
  /** Whether the LRU order is the linked list (`head`…`tail`) rather than the use stamps. */
  listed = false
  /** The last use stamp given. */
  tick = 0
  /** A lower bound of the soonest expiry, so expired sweeps run only when one can be due. */
  minExpiry = Number.POSITIVE_INFINITY
  /** Items culled from the tail, reused for new keys: a cull then costs no garbage. */
  free: Item[] = []

  noteExpiry(e: number | null): void {
    if (e !== null && e < this.minExpiry) this.minExpiry = e
  }

  private unlink(it: Item): void {
    if (it.p) it.p.n = it.n
    else this.head = it.n
    if (it.n) it.n.p = it.p
    else this.tail = it.p
    it.p = it.n = null
  }

  private linkHead(it: Item): void {
    it.p = null
    it.n = this.head
    if (this.head) this.head.p = it
    this.head = it
    if (this.tail === null) this.tail = it
  }

  private stamp(it: Item): void {
    it.u = ++this.tick
    if (this.tick >= STAMP_LIMIT) this.linkAll()
  }

  /** Build the list from the stamps, most recent first; the list keeps the order from now on. */
  private linkAll(): void {
    const items = [...this.map.values()].sort((a, b) => b.u - a.u)
    let prev: Item | null = null
    for (const it of items) {
      it.p = prev
      it.n = null
      if (prev) prev.n = it
      else this.head = it
      prev = it
    }
    this.tail = prev
    this.listed = true
  }

  /** A new item, already in `map`, is the most recently used. */
  add(it: Item): void {
    if (this.listed) this.linkHead(it)
    else this.stamp(it)
  }

  /** A stored item was used (get, set, incr). */
  touch(it: Item): void {
    if (!this.listed) this.stamp(it)
    else if (this.head !== it) {
      this.unlink(it)
      this.linkHead(it)
    }
  }

  /** The least recently used item (the list is built first if there is none yet). */
  last(): Item | null {
    if (!this.listed) this.linkAll()
    return this.tail
  }

  remove(it: Item): void {
    if (this.listed) this.unlink(it)
    this.map.delete(it.k)
    unindex(it)
  }

  clear(): void {
    // Every cache sharing this store may hold these items in its direct index.
    for (const it of this.map.values()) {
      unindex(it)
      it.p = it.n = null
    }
    this.map.clear()
    this.free = []
    this.head = this.tail = null
    this.listed = false
    this.tick = 0
    this.minExpiry = Number.POSITIVE_INFINITY
  }
}

const stores = new Map<string, Store>()

export function storeFor(name: string): Store {
  let s = stores.get(name)
  if (!s) {
    s = new Store()
    stores.set(name, s)
  }
  return s
}
