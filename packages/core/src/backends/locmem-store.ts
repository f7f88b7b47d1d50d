/**
 * The store of the `locmem` backend (locmem.ts): one per `location` and realm, its items and
 * their LRU order (django/core/cache/backends/locmem.py; docs/contract.md rule 11; how the order
 * is kept is in the file comment of locmem.ts).
 *
 * What a hit reads and writes of an item (its coarse expiry, how it answers, its use stamp and
 * its value) is not in the item object but in one packed array, four slots per item
 * (`Store.hot`, at the item's base `Item.s`): 32 bytes per item, next to each other, where an
 * item object is 120 (V8 without pointer compression). A cache's direct index maps a key to that
 * base, so a hit in a store of 100,000 items touches a region a quarter of the size, which stays
 * in the CPU's caches far more often (the `locmem` bench at 100,000 keys). For a short key the
 * index's slot carries copies of the value, coarse expiry and mode, so a hit reads only that
 * slot and writes the use stamp (`DirectIndex`). The item object keeps what only other paths
 * read: the exact expiry, the keys, the list links, the copy plan.
 */
import type { Clock } from '../clock.ts'
import type { Plan } from '../clone.ts'

/** Offsets in `Store.hot` from an item's base `Item.s`. */
export const HOT_Q = 0
export const HOT_H = 1
export const HOT_U = 2
export const HOT_V = 3

/**
 * An item's cold part. Its hot part, at `hot[s + HOT_*]`, is:
 * - `q`: `e` coarsened for a hit's expiry test (`coarseExpiry`, `expiredAt`), a small integer
 *   (the double `e` is a separate heap number: one more cache miss per hit in a large store);
 * - `h`: how a hit answers, known at write time so a hit reads neither the value nor `kind`: 0,
 *   `v` as is (kind 0); 1, a copy by `plan` (kind 1, `restoreTree`); 3, `structuredClone`
 *   (kind 2); 2, the value is an entry envelope (rule 16 metadata) and the generic path reads
 *   it; 4, a copy by `plan` of the flat stored form (kind 3, `restoreFlat`: nested arrays are
 *   `Leaves`);
 * - `u`: the use stamp while the store keeps no list (`Store.listed`): higher is more recent;
 * - `v`: the stored value (the isolated copy, or the caller's own with `isolate: false`).
 */
export interface Item {
  /** Where this item's hot part starts in `Store.hot` (a multiple of 4); fixed for its life. */
  readonly s: number
  /** The stored value's kind (`Snapshot.kind`): 0 as is, 1 tree, 2 structuredClone, 3 flat. */
  kind: 0 | 1 | 2 | 3
  /** Kind 1 and 3: where the copy's nested objects are; null otherwise. */
  plan: Plan
  /** Expiry, epoch ms, or null. */
  e: number | null
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

/** Keys up to this many UTF-16 units go in a `DirectIndex`'s table; see there. */
export const TABLE_KEY_MAX = 16
/** A key in the table is at most this many slots from where its hash puts it. */
const PROBE_MAX = 16
/** Fields of a table slot (`DirectIndex.t`, `SLOT` wide): the key (0 when empty), the item's base, and copies of its hot `v`, `q` and `h` (`v` and `h` become the answer and `S_ANSWER` at a primitive's first hit). */
export const S_K = 0
export const S_B = 1
export const S_V = 2
export const S_Q = 3
export const S_H = 4
const SLOT = 5
/**
 * `S_H` of a slot whose `S_V` holds the hit's answer itself: one promise, already resolved to
 * the item's value, that every hit returns (`DirectIndex.answer`). Only for a primitive value
 * of mode 0 (immutable, so one answer isolates every caller): a hit then allocates nothing and
 * never reads the value (a 4 KiB string's header is one more cache miss in a large store, which
 * `Promise.resolve` pays to learn that it is not a thenable). Never an item's own `h`: `fill`
 * copies the item's hot part back over it whenever the item changes.
 */
export const S_ANSWER = 5
/** Slots of a new or emptied table (a power of 2). */
const MIN_SLOTS = 16

const SEED = (Math.random() * 0x100000000) >>> 0

/**
 * A seeded 32-bit hash of a short key (FNV-1a over its UTF-16 units, then murmur3's final mix).
 * Not flood-proof by itself: the table bounds every probe (`PROBE_MAX`), so keys that collide
 * only move to the `Map` (V8's own seeded hash), never into a long chain.
 */
export function keyHash(key: string): number {
  let h = (SEED ^ key.length) | 0
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * Caller key (default version) → the item's base (`Item.s`), for one cache. Exact: it holds an
 * item only while the item is in the store and `item.d`/`item.ck` name this entry (`indexItem`;
 * `Store.remove` and `Store.clear` drop the entry), so a hit trusts what it finds and reads
 * neither field.
 *
 * A short key (`TABLE_KEY_MAX`) lives in an open-addressing table (linear probing, at most half
 * full, backward-shift deletion) whose slot also holds copies of what a hit reads of the item's
 * hot part: its value, coarse expiry and mode, kept current by `Store.setValue`/`setExpiry`. A
 * hit then reads one slot, where a `Map` entry and then the hot part are two dependent reads:
 * at 1,000,000 items each is a cache miss (docs/benchmarks.md, locmem). Hashing a key in JS
 * costs more than V8's cached hash once keys are longer (measured: 0.7x at 40 units, 0.45x at
 * 100, 10,000 keys), so longer keys, and keys whose probe would pass `PROBE_MAX`, are in
 * `other`, a `Map` to the base, and a hit reads the hot part.
 */
export class DirectIndex {
  /** The table: `SLOT` fields per slot (`S_*`). */
  t: unknown[] = []
  /** Slots - 1 (slots are a power of 2). */
  mask = 0
  /** Keys in the table. */
  count = 0
  /** The keys not in the table → base. */
  readonly other = new Map<string, number>()
  private readonly hash: (key: string) => number
  /** The last key hashed and its hash: a write looks a key up two or three times in a row. */
  private hk = ''
  private hv = 0
  /** Where `find` last found a key: `at` checks it (a slot holds its key) before probing. */
  private lastO = 0

  /** `hash` is for tests (a constant one makes every key collide). */
  constructor(hash: (key: string) => number = keyHash) {
    this.hash = hash
    this.alloc(MIN_SLOTS)
  }

  private alloc(slots: number): void {
    this.t = new Array<unknown>(slots * SLOT).fill(0)
    this.mask = slots - 1
    this.count = 0
    this.lastO = 0
  }

  /** `hash(key)`, remembered for the next call with the same key. */
  private home(key: string): number {
    if (key === this.hk) return this.hv
    const h = this.hash(key)
    this.hk = key
    this.hv = h
    return h
  }

  /** `find`, first trying where the last key was found (a write's second look-up of one key). */
  private at(key: string): number {
    const o = this.lastO
    return this.t[o] === key ? o : this.find(key)
  }

  /** Where `key`'s slot starts in `t`, or -1 when the table does not hold it. */
  find(key: string): number {
    if (key.length > TABLE_KEY_MAX) return -1
    const t = this.t
    const mask = this.mask
    let i = this.home(key) & mask
    for (let p = 0; p < PROBE_MAX; p++) {
      const o = i * SLOT
      const k = t[o]
      if (k === key) {
        this.lastO = o
        return o
      }
      if (k === 0) return -1
      i = (i + 1) & mask
    }
    return -1
  }

  /**
   * A hit's answer for the mode-0 value `v` of the slot at `o`: a resolved promise. For a
   * primitive it is kept in the slot (`S_ANSWER`); an object (`isolate: false`) gets a new one
   * each time, as `Promise.resolve` reads its `then` anew. The kept promise is not frozen: Node's
   * async_hooks (and so `AsyncLocalStorage` on Node 20) tag each promise awaited with an id
   * property, and throw on a frozen one (the `S_ANSWER` tests).
   */
  answer(o: number, v: unknown): Promise<unknown> {
    const p = Promise.resolve(v)
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
      this.t[o + S_V] = p
      this.t[o + S_H] = S_ANSWER
    }
    return p
  }

  /** The base held for `key`. */
  get(key: string): number | undefined {
    const o = this.find(key)
    if (o >= 0) return this.t[o + S_B] as number
    return this.other.size === 0 ? undefined : this.other.get(key)
  }

  get size(): number {
    return this.count + this.other.size
  }

  /** The keys held (tests and checks). */
  *keys(): IterableIterator<string> {
    const t = this.t
    for (let o = 0; o < t.length; o += SLOT) if (t[o] !== 0) yield t[o] as string
    yield* this.other.keys()
  }

  /** Copy the hot part at `b` into the slot at `o`. */
  private fill(o: number, b: number, hot: unknown[]): void {
    const t = this.t
    t[o + S_B] = b
    t[o + S_V] = hot[b + HOT_V]
    t[o + S_Q] = hot[b + HOT_Q]
    t[o + S_H] = hot[b + HOT_H]
  }

  /** Hold `key` → `b`, the hot part at `b` of `hot` copied in. */
  set(key: string, b: number, hot: unknown[]): void {
    const o = this.at(key)
    if (o >= 0) {
      this.fill(o, b, hot)
      return
    }
    if (key.length <= TABLE_KEY_MAX) {
      if (this.other.size !== 0) this.other.delete(key)
      if ((this.count + 1) * 2 > this.mask + 1) this.resize((this.mask + 1) * 2)
      const e = this.emptySlot(key)
      if (e >= 0) {
        this.t[e + S_K] = key
        this.fill(e, b, hot)
        this.count++
        return
      }
    }
    this.other.set(key, b)
  }

  /** An empty slot within `PROBE_MAX` of `key`'s home (which must not hold `key`), or -1. */
  private emptySlot(key: string): number {
    const t = this.t
    const mask = this.mask
    let i = this.home(key) & mask
    for (let p = 0; p < PROBE_MAX; p++) {
      const o = i * SLOT
      if (t[o] === 0) return o
      i = (i + 1) & mask
    }
    return -1
  }

  /** Copy a changed hot part (of the item at `b`, held under `key`) into its slot. */
  sync(key: string, b: number, hot: unknown[]): void {
    const o = this.at(key)
    if (o >= 0) this.fill(o, b, hot)
  }

  delete(key: string): void {
    const o = this.at(key)
    if (o < 0) {
      if (this.other.size !== 0) this.other.delete(key)
      return
    }
    // Backward shift: move each later key of the run into the hole when that brings it no
    // further from its home than it was, so no probe meets an empty slot before its key.
    const t = this.t
    const mask = this.mask
    let hole = o / SLOT
    let j = (hole + 1) & mask
    for (;;) {
      const jo = j * SLOT
      const k = t[jo]
      if (k === 0) break
      const home = this.hash(k as string) & mask
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        const ho = hole * SLOT
        for (let f = 0; f < SLOT; f++) t[ho + f] = t[jo + f]
        hole = j
      }
      j = (j + 1) & mask
    }
    const ho = hole * SLOT
    t[ho + S_K] = 0
    t[ho + S_B] = 0
    t[ho + S_V] = 0 // drop the value
    t[ho + S_Q] = 0
    t[ho + S_H] = 0
    this.count--
    const slots = this.mask + 1
    if (slots > MIN_SLOTS && this.count * 8 < slots) this.resize(slots / 2)
  }

  /** Rebuild the table with `slots` slots; a key that no longer fits within `PROBE_MAX` moves to `other`. */
  private resize(slots: number): void {
    const old = this.t
    this.alloc(slots)
    const t = this.t
    for (let o = 0; o < old.length; o += SLOT) {
      const k = old[o]
      if (k === 0) continue
      const e = this.emptySlot(k as string)
      if (e < 0) {
        this.other.set(k as string, old[o + S_B] as number)
        continue
      }
      for (let f = 0; f < SLOT; f++) t[e + f] = old[o + f]
      this.count++
    }
  }
}

/** Index `it` under `key` in `d`, taking it out of the index entry that held it before. */
export function indexItem(st: Store, d: DirectIndex, key: string, it: Item): void {
  if (it.d === d && it.ck === key) return
  if (it.d !== null) it.d.delete(it.ck as string)
  const old = d.get(key)
  if (old !== undefined && old !== it.s) {
    // Only a key function that is not a function of its input gets here.
    const o = st.itemAt(old)
    if (o !== undefined) o.d = null
  }
  d.set(key, it.s, st.hot)
  it.d = d
  it.ck = key
}

function unindex(it: Item): void {
  if (it.d !== null) {
    it.d.delete(it.ck as string)
    it.d = null
  }
}

/** `q` unit: 2^12 ms, so epoch ms up to 2^42 (year 2109) coarsen to a small integer. */
const Q_MS = 4096
/** `q` of an item that never expires; finite expiries stay below it. */
const Q_NEVER = 2 ** 30 - 1

/**
 * `q` for expiry `e`: a lower bound of `e / Q_MS` (so `q > now / Q_MS` proves `e > now`),
 * `Q_NEVER` for null, 0 (always tested exactly) for a negative or NaN `e`.
 */
export function coarseExpiry(e: number | null): number {
  if (e === null) return Q_NEVER
  if (e >= 0) return e < (Q_NEVER - 1) * Q_MS ? Math.floor(e / Q_MS) : Q_NEVER - 1
  return 0
}

/**
 * Whether the item at base `b` has expired (`e <= now`: a miss, docs/contract.md rule 4) at
 * `given`, or else by `clock`, which is read only for an item that can expire; the item object
 * (its heap number `e`) is read only within Q_MS of the expiry.
 */
export function expiredAt(st: Store, b: number, clock: Clock, given: number | undefined): boolean {
  return expiredQ(st.hot[b + HOT_Q] as number, st, b, clock, given)
}

/** `expiredAt`, given the item's `q` (from its hot part or a `DirectIndex` slot). */
export function expiredQ(q: number, st: Store, b: number, clock: Clock, given: number | undefined): boolean {
  if (q === Q_NEVER) return false
  const now = given ?? clock.now()
  // For an integer q, `q <= now / Q_MS` is `q <= floor(now / Q_MS)`: no rounding needed.
  return q <= (now >= 0 ? now / Q_MS : 0) && ((st.itemAt(b) as Item).e as number) <= now
}

/** Use stamps stay below this (small integers, so V8 stores them in place). */
const STAMP_LIMIT = 2 ** 30 - 1

/** One named store: the entries and their LRU order (see the file comment of locmem.ts). */
export class Store {
  readonly map = new Map<string, Item>()
  /** The items' hot parts, four slots each (`HOT_*`; see the file comment). */
  hot: unknown[] = []
  /** The item at each base, by `base / 4`. */
  private items: Item[] = []
  head: Item | null = null
  tail: Item | null = null
  /** Whether the LRU order is the linked list (`head`…`tail`) rather than the use stamps. */
  listed = false
  /** The last use stamp given. */
  tick = 0
  /** A lower bound of the soonest expiry, so expired sweeps run only when one can be due. */
  minExpiry = Number.POSITIVE_INFINITY
  /**
   * Items that left the store, kept with their hot slots for new keys: a cull, a delete or an
   * expiry then costs no garbage, and the packed array never has holes to skip. At most as many
   * as the store once held.
   */
  private free: Item[] = []

  /** The item whose hot part starts at `b`. */
  itemAt(b: number): Item | undefined {
    return this.items[b >> 2]
  }

  /** The stored value of `it`. */
  value(it: Item): unknown {
    return this.hot[it.s + HOT_V]
  }

  /** How a hit answers for `it` (`h`, see `Item`). */
  mode(it: Item): number {
    return this.hot[it.s + HOT_H] as number
  }

  /** Whether `it` has expired (see `expiredAt`). */
  expired(it: Item, clock: Clock, given: number | undefined): boolean {
    return expiredAt(this, it.s, clock, given)
  }

  /** Store `v` (of `kind`, copied by `plan`, answered by mode `h`) in `it`. */
  setValue(it: Item, v: unknown, kind: 0 | 1 | 2 | 3, plan: Plan, h: number): void {
    this.putValue(it, v, kind, plan, h)
    this.synced(it)
  }

  /** Set the expiry of `it`. */
  setExpiry(it: Item, e: number | null): void {
    this.putExpiry(it, e)
    this.synced(it)
  }

  /** `setValue` and `setExpiry` at once (one copy into the item's index slot). */
  write(it: Item, v: unknown, kind: 0 | 1 | 2 | 3, plan: Plan, h: number, e: number | null): void {
    this.putValue(it, v, kind, plan, h)
    this.putExpiry(it, e)
    this.synced(it)
  }

  private putValue(it: Item, v: unknown, kind: 0 | 1 | 2 | 3, plan: Plan, h: number): void {
    this.hot[it.s + HOT_V] = v
    this.hot[it.s + HOT_H] = h
    it.kind = kind
    it.plan = plan
  }

  private putExpiry(it: Item, e: number | null): void {
    this.hot[it.s + HOT_Q] = coarseExpiry(e)
    it.e = e
    this.noteExpiry(e)
  }

  /** Copy the hot part of `it`, just changed, into the index slot that holds it. */
  private synced(it: Item): void {
    if (it.d !== null) it.d.sync(it.ck as string, it.s, this.hot)
  }

  /**
   * A new item for `rawKey` (not yet in `map`): one that left the store, else a new one with
   * slots at the end of `hot`. The caller sets its value and expiry.
   */
  newItem(rawKey: string): Item {
    const recycled = this.free.pop()
    if (recycled !== undefined) {
      recycled.k = rawKey
      return recycled
    }
    const s = this.hot.length
    // The hot part in the order of `HOT_*`, with the types a hit reads (Smis, then the value).
    this.hot.push(0, 0, 0, undefined)
    const it: Item = { s, kind: 0, plan: null, e: null, k: rawKey, d: null, ck: undefined, p: null, n: null }
    this.items.push(it)
    return it
  }

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

  private stamp(b: number): void {
    this.hot[b + HOT_U] = ++this.tick
    if (this.tick >= STAMP_LIMIT) this.linkAll()
  }

  /** Build the list from the stamps, most recent first; the list keeps the order from now on. */
  private linkAll(): void {
    const hot = this.hot
    const items = [...this.map.values()].sort(
      (a, b) => (hot[b.s + HOT_U] as number) - (hot[a.s + HOT_U] as number),
    )
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
    else this.stamp(it.s)
  }

  /** A stored item was used (get, set, incr). */
  touch(it: Item): void {
    if (!this.listed) this.stamp(it.s)
    else if (this.head !== it) {
      this.unlink(it)
      this.linkHead(it)
    }
  }

  /** `touch` of the item at base `b` (a hit through a direct index: no item object read while unlisted). */
  touchAt(b: number): void {
    if (!this.listed) this.stamp(b)
    else this.touch(this.itemAt(b) as Item)
  }

  /** The least recently used item (the list is built first if there is none yet). */
  last(): Item | null {
    if (!this.listed) this.linkAll()
    return this.tail
  }

  /**
   * Take `it` out of the store (it must be in it) and keep it for a new key. Read what is needed
   * of it first: its value is dropped here, and a later `newItem` reuses it.
   */
  remove(it: Item): void {
    if (this.listed) this.unlink(it)
    this.map.delete(it.k)
    unindex(it)
    this.hot[it.s + HOT_V] = undefined
    it.plan = null
    this.free.push(it)
  }

  clear(): void {
    // Every cache sharing this store may hold these items in its direct index.
    for (const it of this.map.values()) {
      unindex(it)
      it.p = it.n = null
    }
    this.map.clear()
    this.hot = []
    this.items = []
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
