/**
 * `localforage`: a cache over localForage, on whichever driver it picks (IndexedDB in modern
 * browsers, localStorage where that is all there is). localForage has neither expiry nor a
 * bound (localForage#774, #1105), so both live here: each item is `{ v, e }`, the value as
 * cachework's codec text (the localStorage driver cannot structured-clone) and its expiry,
 * checked on read; culling removes the soonest to expire first (rule 11, like Django's db
 * backend, django/core/cache/backends/db.py). localForage has no transactions, so every write to a key runs
 * under a per-key Web Lock: `incr` and the other read-modify-writes are atomic across the tabs
 * and workers of the origin (an in-page mutex where Web Locks are missing).
 */
import {
  CacheError,
  CacheUnavailableError,
  type CacheInit,
  type CommonOptions,
  KeyNotFoundError,
  registerBackend,
} from '@cachework/core'
import {
  type CullableStore,
  type RawEntry,
  type StoredEntry,
  addDelta,
  decodeValue,
  encodeValue,
} from '@cachework/core/backend'
import localforage from 'localforage'
import { CrossTabCache } from './cross-tab-cache.ts'
import { withLock } from './web-locks.ts'

/** One stored item: the encoded value and the expiry (epoch ms, `null` for never). */
interface Item {
  v: string
  e: number | null
}

type Forage = ReturnType<typeof localforage.createInstance>

const MISSING: unique symbol = Symbol('cachework.localforage.missing')

function isItem(x: unknown): x is Item {
  return typeof x === 'object' && x !== null && typeof (x as Item).v === 'string'
}

/**
 * The localForage backend (`localforage`). `location` is localForage's `name` (default
 * `'cachework'`). Options: `driver` (a localForage driver name or list, default its own choice),
 * `storeName` (`'entries'`), `maxEntries` (300), `cullFrequency` (3), `timeoutMs` (1000),
 * `ignoreErrors` (false).
 */
export class LocalForageCache extends CrossTabCache {
  static override readonly backendName: string = 'localforage'
  static override readonly knownOptions: readonly string[] = ['driver', 'storeName']
  protected override readonly usesIO: boolean = true
  /** localForage's database name. */
  readonly dbName: string
  /** localForage's store name. */
  readonly storeName: string
  private forage: Forage | undefined
  private readonly cullable: CullableStore

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const loc = Array.isArray(this.location) ? this.location.join(',') : this.location
    this.dbName = loc === '' ? 'cachework' : loc
    const sn = this.options.storeName
    this.storeName = typeof sn === 'string' && sn !== '' ? sn : 'entries'
    this.cullable = {
      size: () => this.store().length(),
      removeExpired: async (now, on) => {
        const gone: string[] = []
        await this.store().iterate<unknown, void>((item, k) => {
          if (isItem(item) && item.e !== null && item.e <= now) gone.push(k)
        })
        await this.removeAll(gone, on)
        return gone.length
      },
      removeSome: async (n, on) => {
        // Soonest to expire first; never-expiring entries last. One pass: culls are rare.
        const all: Array<[string, number]> = []
        await this.store().iterate<unknown, void>((item, k) => {
          all.push([k, isItem(item) && item.e !== null ? item.e : Number.POSITIVE_INFINITY])
        })
        all.sort((a, b) => a[1] - b[1])
        const gone = all.slice(0, n).map((x) => x[0])
        await this.removeAll(gone, on)
        return gone.length
      },
      removeAll: () => this.clearStore(true),
    }
  }

  private store(): Forage {
    if (this.forage === undefined) {
      const config: Parameters<typeof localforage.createInstance>[0] = {
        name: this.dbName,
        storeName: this.storeName,
      }
      const driver = this.options.driver
      if (typeof driver === 'string' || Array.isArray(driver)) config.driver = driver as string | string[]
      this.forage = localforage.createInstance(config)
    }
    return this.forage
  }

  /**
   * Empty the store; how many entries it held. localForage's own `clear()` on the localStorage
   * driver walks `localStorage.key(i)` from the last index down, removing as it goes. Chromium's
   * localStorage is a hash table (Blink's `StorageAreaMap`) that rehashes to half its size when
   * a removal leaves it under 1/6 full, which reorders the keys: a key not yet visited can move
   * to an index the walk has passed, and survives `clear()` whenever the origin holds other keys
   * too. So on that driver the keys are read first, in one pass that removes nothing, then
   * removed one by one. Other drivers keep localForage's `clear()` (one IndexedDB transaction).
   * `counted`: whether the caller needs the count (culling does, rule 11; `clear` does not).
   */
  private async clearStore(counted: boolean): Promise<number> {
    const store = this.store()
    await store.ready()
    if (store.driver() !== localforage.LOCALSTORAGE) {
      const n = counted ? await store.length() : 0
      await store.clear()
      return n
    }
    const keys = await store.keys()
    await this.removeAll(keys)
    return keys.length
  }

  private async removeAll(keys: string[], on?: (k: string) => void): Promise<void> {
    await Promise.all(keys.map((k) => this.store().removeItem(k)))
    if (on) for (const k of keys) on(k)
  }

  /** Hold the key's lock (origin-wide with Web Locks) for a read-modify-write. */
  private locked<T>(rawKey: string, fn: () => Promise<T>): Promise<T> {
    return withLock(`cachework:localforage:${this.dbName}/${this.storeName}:${rawKey}`, fn)
  }

  /** Translate a storage failure for BaseCache (rule 15); programming errors pass through. */
  private fail(e: unknown): Error {
    if (e instanceof CacheError || e instanceof TypeError || e instanceof RangeError) return e
    const name = (e as { name?: string })?.name ?? 'Error'
    const hint =
      name === 'QuotaExceededError'
        ? "the origin's storage quota is full: clear some storage or lower maxEntries"
        : 'localForage could not reach its storage'
    return new CacheUnavailableError(
      `localforage store '${this.dbName}/${this.storeName}' failed (${name}: ${(e as Error)?.message ?? String(e)}): ${hint}`,
      { cause: e },
    )
  }

  private async translated<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op()
    } catch (e) {
      throw this.fail(e)
    }
  }

  /** The live item, or undefined; an expired or unreadable one is removed. */
  private async readItem(rawKey: string): Promise<{ value: unknown; e: number | null } | undefined> {
    const item = await this.store().getItem<unknown>(rawKey)
    if (item === null) return undefined
    if (isItem(item) && !this.isExpired(item.e)) {
      try {
        return { value: decodeValue(item.v), e: item.e }
      } catch {
        // Corrupt bytes are a miss, never code (rule 12); drop them below.
      }
    }
    await this.locked(rawKey, async () => {
      const again = await this.store().getItem<unknown>(rawKey)
      // Remove only what we judged: a writer may have replaced it meanwhile.
      const same = isItem(item) ? isItem(again) && again.v === item.v && again.e === item.e : !isItem(again)
      if (again !== null && same) await this.store().removeItem(rawKey)
    })
    if (isItem(item) && this.isExpired(item.e)) this.noteExpired(rawKey)
    return undefined
  }

  private async isLive(rawKey: string): Promise<boolean> {
    const item = await this.store().getItem<unknown>(rawKey)
    return isItem(item) && !this.isExpired(item.e)
  }

  /** Store `text` at `rawKey` (under its lock), culling first when the key is not live. */
  private async putItem(rawKey: string, text: string, e: number | null, wasLive: boolean): Promise<void> {
    if (!wasLive) await this.cullBeforeInsert(this.cullable)
    await this.store().setItem<Item>(rawKey, { v: text, e })
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    return this.translated(async () => {
      const r = await this.readItem(rawKey)
      return r === undefined ? undefined : { value: r.value, expiresAt: r.e }
    })
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    return this.translated(() => this.isLive(rawKey))
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    return this.translated(async () => {
      const found = await Promise.all(rawKeys.map((k) => this.readItem(k)))
      const out = new Map<string, unknown>()
      rawKeys.forEach((k, i) => {
        const r = found[i]
        if (r !== undefined) out.set(k, r.value)
      })
      return out
    })
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const text = encodeValue(value) // TypeError for functions and symbols, before any I/O
    await this.translated(() =>
      this.locked(rawKey, async () => this.putItem(rawKey, text, expiresAt, await this.isLive(rawKey))),
    )
    return true
  }

  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    // Encode everything first, so a value that cannot be stored rejects before anything is written.
    const encoded = pairs.map(([k, v]) => [k, encodeValue(v)] as const)
    for (const [k, text] of encoded) {
      await this.translated(() =>
        this.locked(k, async () => this.putItem(k, text, expiresAt, await this.isLive(k))),
      )
    }
    return []
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const text = encodeValue(value)
    return this.translated(() =>
      this.locked(rawKey, async () => {
        if (await this.isLive(rawKey)) return false
        await this.putItem(rawKey, text, expiresAt, false)
        return true
      }),
    )
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    return this.translated(() =>
      this.locked(rawKey, async () => {
        const item = await this.store().getItem<unknown>(rawKey)
        if (!isItem(item) || this.isExpired(item.e)) return false
        await this.store().setItem<Item>(rawKey, { v: item.v, e: expiresAt })
        return true
      }),
    )
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    return this.translated(() =>
      this.locked(rawKey, async () => {
        const live = await this.isLive(rawKey)
        await this.store().removeItem(rawKey)
        return live
      }),
    )
  }

  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    await this.translated(() =>
      Promise.all(rawKeys.map((k) => this.locked(k, () => this.store().removeItem(k)))),
    )
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    // Read, add and write under the key's Web Lock, so no increment is lost (rule 7).
    const n = await this.translated(() =>
      this.locked(rawKey, async () => {
        const item = await this.store().getItem<unknown>(rawKey)
        if (!isItem(item) || this.isExpired(item.e)) return MISSING
        const next = addDelta(decodeValue(item.v), delta, callerKey)
        await this.store().setItem<Item>(rawKey, { v: encodeValue(next), e: item.e })
        return next
      }),
    )
    if (n === MISSING) throw new KeyNotFoundError(rawKey)
    return n
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    if (fromRaw === toRaw) return this._has(fromRaw)
    // Both keys' locks, always taken in the same order so two moves cannot deadlock.
    const [a, b] = fromRaw < toRaw ? [fromRaw, toRaw] : [toRaw, fromRaw]
    return this.translated(() =>
      this.locked(a, () =>
        this.locked(b, async () => {
          const item = await this.store().getItem<unknown>(fromRaw)
          if (!isItem(item) || this.isExpired(item.e)) return false
          const toLive = await this.isLive(toRaw)
          await this.store().removeItem(fromRaw)
          await this.putItem(toRaw, item.v, item.e, toLive)
          return true
        }),
      ),
    )
  }

  protected async _clear(): Promise<void> {
    await this.translated(() => this.clearStore(false))
  }

  protected async *_entries(): AsyncIterable<RawEntry> {
    const items: Array<[string, Item]> = []
    await this.translated(() =>
      this.store().iterate<unknown, void>((item, k) => {
        if (isItem(item)) items.push([k, item])
      }),
    )
    for (const [rawKey, item] of items) {
      let value: unknown
      try {
        value = decodeValue(item.v)
      } catch {
        continue
      }
      yield { rawKey, expiresAt: item.e, size: item.v.length, value }
    }
  }

  protected override async _close(): Promise<void> {
    // localForage keeps no handle we can close; dropping the instance makes the next use reopen.
    this.forage = undefined
  }

  protected override leaseLockPrefix(): string {
    return `cachework:localforage-lease:${this.dbName}/${this.storeName}:`
  }

  protected override flightLockName(rawKey: string): string {
    return `cachework:localforage-flight:${this.dbName}/${this.storeName}:${rawKey}`
  }
}

registerBackend('localforage', LocalForageCache)

/** `localforage` options, beside the common ones. */
export interface LocalForageOptions extends CommonOptions {
  /** A localForage driver name or list (`localforage.INDEXEDDB`, …). Default: localForage's choice. */
  driver?: string | readonly string[]
  /** localForage's `storeName`. Default `'entries'`. */
  storeName?: string
}

// The name this entry registers, with its options, for `configureCaches`' types.
declare module '@cachework/core' {
  interface CacheBackends {
    localforage: LocalForageOptions
  }
}
