/**
 * `locmem`: Django's LocMemCache (django-cache.md §2.1). Stores with the same `location` share
 * one store per realm (process, page or worker). Values are isolated copies (rule 12); LRU
 * order is the `Map`'s insertion order (a use re-inserts the key at the end), and culling
 * walks a long-lived iterator from the front, so each eviction is O(1) amortised: V8's
 * `map.keys().next()` from scratch would walk every deleted slot each time.
 */
import { BaseCache, addDelta, type CullableStore, type RawEntry, type StoredEntry } from '../base-cache.ts'
import { type Snapshot, restore, snapshot } from '../clone.ts'
import { encodeValue } from '../codec.ts'
import { KeyNotFoundError } from '../errors.ts'
import type { CacheInit } from '../types.ts'

interface Item extends Snapshot {
  /** Expiry, epoch ms, or null. */
  e: number | null
}

/** One named store: the entries plus what culling needs. */
class Store {
  readonly map = new Map<string, Item>()
  private iter: Iterator<string> | undefined
  /** A lower bound of the soonest expiry, so expired sweeps run only when one can be due. */
  minExpiry = Number.POSITIVE_INFINITY

  noteExpiry(e: number | null): void {
    if (e !== null && e < this.minExpiry) this.minExpiry = e
  }

  /** The least recently used key, or undefined when empty. */
  oldest(): string | undefined {
    if (this.map.size === 0) return undefined
    this.iter ??= this.map.keys()
    let r = this.iter.next()
    if (r.done) {
      this.iter = this.map.keys()
      r = this.iter.next()
    }
    return r.done ? undefined : r.value
  }

  clear(): void {
    this.map.clear()
    this.iter = undefined
    this.minExpiry = Number.POSITIVE_INFINITY
  }
}

const stores = new Map<string, Store>()

function storeFor(name: string): Store {
  let s = stores.get(name)
  if (!s) {
    s = new Store()
    stores.set(name, s)
  }
  return s
}

/** The local-memory backend (`locmem`). Options: `maxEntries` (300), `cullFrequency` (3). */
export class LocMemCache extends BaseCache {
  static override readonly backendName: string = 'locmem'
  private readonly store: Store
  private readonly cullable: CullableStore

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const loc = Array.isArray(this.location) ? this.location.join(',') : this.location
    this.store = storeFor(loc)
    const s = this.store
    this.cullable = {
      size: () => s.map.size,
      removeExpired: (now, onRemoved) => {
        if (now < s.minExpiry) return 0
        let n = 0
        let min = Number.POSITIVE_INFINITY
        for (const [k, it] of s.map) {
          if (it.e !== null && it.e <= now) {
            s.map.delete(k)
            n++
            onRemoved?.(k)
          } else if (it.e !== null && it.e < min) min = it.e
        }
        s.minExpiry = min
        return n
      },
      removeSome: (count, onRemoved) => {
        let n = 0
        while (n < count) {
          const k = s.oldest()
          if (k === undefined) break
          s.map.delete(k)
          n++
          onRemoved?.(k)
        }
        return n
      },
      removeAll: () => {
        const n = s.map.size
        s.clear()
        return n
      },
    }
  }

  /** The live item, moved to the most-recently-used end; an expired one is removed. */
  private live(rawKey: string, use: boolean): Item | undefined {
    const m = this.store.map
    const it = m.get(rawKey)
    if (it === undefined) return undefined
    if (it.e !== null && it.e <= this.now()) {
      m.delete(rawKey)
      this.noteExpired(rawKey)
      return undefined
    }
    if (use) {
      m.delete(rawKey)
      m.set(rawKey, it)
    }
    return it
  }

  private async put(rawKey: string, s: Snapshot, expiresAt: number | null, wasLive: boolean): Promise<void> {
    const m = this.store.map
    if (!wasLive) {
      if (m.has(rawKey)) m.delete(rawKey) // expired: Django deletes it before storing
      if (m.size >= this.maxEntries) await this.cullBeforeInsert(this.cullable)
    } else m.delete(rawKey)
    const item = s as Item
    item.e = expiresAt
    m.set(rawKey, item)
    this.store.noteExpiry(expiresAt)
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const it = this.live(rawKey, true)
    return it === undefined ? undefined : { value: restore(it), expiresAt: it.e }
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    // has_key does not count as use (django-cache.md §2.1).
    return this.live(rawKey, false) !== undefined
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    // Copy outside any bookkeeping, as Django pickles outside its lock.
    const s = snapshot(value)
    await this.put(rawKey, s, expiresAt, this.live(rawKey, false) !== undefined)
    return true
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const s = snapshot(value)
    if (this.live(rawKey, false) !== undefined) return false
    await this.put(rawKey, s, expiresAt, false)
    return true
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    const it = this.live(rawKey, false)
    if (it === undefined) return false
    it.e = expiresAt
    this.store.noteExpiry(expiresAt)
    return true
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    const live = this.live(rawKey, false) !== undefined
    this.store.map.delete(rawKey)
    return live
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    // Synchronous between the read and the write, so atomic; the expiry is kept (rule 7).
    const it = this.live(rawKey, true)
    if (it === undefined) throw new KeyNotFoundError(rawKey)
    const next = addDelta(it.v, delta, callerKey)
    it.v = next
    it.kind = 0
    return next
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const it = this.live(fromRaw, false)
    if (it === undefined) return false
    if (fromRaw === toRaw) return true
    this.store.map.delete(fromRaw)
    await this.put(toRaw, it, it.e, this.live(toRaw, false) !== undefined)
    return true
  }

  protected async _clear(): Promise<void> {
    this.store.clear()
  }

  protected async *_entries(): AsyncIterable<RawEntry> {
    // Snapshot the keys first: the consumer may delete while we iterate.
    for (const [rawKey, it] of [...this.store.map]) {
      const value = restore(it)
      let size: number | undefined
      try {
        size = encodeValue(value).length
      } catch {
        size = undefined
      }
      yield { rawKey, expiresAt: it.e, size, value }
    }
  }
}
