/**
 * The batch methods every backend shares (docs/contract.md rule 6: `getMany`, `setMany`,
 * `deleteMany`), as the layer between `StorageBase` (storage-base.ts) and `BaseCache`
 * (base-cache.ts): caller keys made into raw keys, one storage call per batch under the failure
 * policy (rule 15), tags checked or snapshotted once per batch (rule 17), each key counted and
 * reported (rule 13). Django: `BaseCache.get_many`, `set_many`, `delete_many`
 * (django/core/cache/backends/base.py), which backends override with one round trip.
 */
import { isolatedCopy } from './clone.ts'
import { escapeEnvelope, makeEnvelope, openEnvelope, STALE } from './envelope.ts'
import { CacheUnavailableError } from './errors.ts'
import { StorageBase } from './storage-base.ts'
import { dropInvalidated, tagsOf } from './tagged-entries.ts'
import type { TagIndex, TagOpts } from './tags.ts'
import type { Timeout, VersionOpts } from './types.ts'
import type { StorableValue } from './value-types.ts'

/**
 * An empty plain object for `getMany`'s result, already in V8's dictionary mode: filling a `{}`
 * with up to hundreds of arbitrary key names walks (and grows) a hidden-class transition per
 * new name, which cost `getMany(100)` over 10,000 keys ~150,000 instructions (callgrind: 214,400
 * for 100 stores into `{}` vs 64,000 into this object). `Object.create(null)` starts in
 * dictionary mode; giving it `Object.prototype` keeps it an ordinary object for callers.
 */
export function manyKeyRecord<T>(): Record<string, T> {
  return Object.setPrototypeOf(Object.create(null), Object.prototype) as Record<string, T>
}

/** Put one found key in a `getMany` result: a key named `__proto__` is an own property, never the result's prototype. */
export function putManyKey<T>(out: Record<string, T>, key: string, v: T): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true })
  else out[key] = v
}

/** `BaseCache`'s batch methods; `tagIndex` is the cache's tag counters (rule 17). */
export abstract class ManyMethods extends StorageBase {
  protected abstract readonly tagIndex: TagIndex

  async getMany<T = unknown>(keys: Iterable<string>, opts?: VersionOpts): Promise<Record<string, T>> {
    const byRaw = new Map<string, string>()
    for (const k of keys) byRaw.set(this.rawKey(k, opts?.version), k)
    const out = manyKeyRecord<T>()
    if (byRaw.size === 0) return out
    const found = await this.read(
      'getMany',
      async () => dropInvalidated(this.tagIndex, await this._getMany([...byRaw.keys()])),
      new Map<string, unknown>(),
    )
    return this.answerMany<T>(byRaw, found, out, opts?.version)
  }

  /**
   * `getMany` for values a backend's fast path read itself (`found`: raw key → stored value, of
   * `keys` made as `rawKeys`): tags checked as `getMany` checks them (one more read at most,
   * rule 17), then answered and counted alike.
   */
  protected getManyFromFound<T>(
    keys: readonly string[],
    rawKeys: readonly string[],
    found: Map<string, unknown>,
    version: number | undefined,
  ): Promise<Record<string, T>> {
    const byRaw = new Map<string, string>()
    for (let i = 0; i < rawKeys.length; i++) byRaw.set(rawKeys[i] as string, keys[i] as string)
    return this.read('getMany', () => dropInvalidated(this.tagIndex, found), new Map<string, unknown>()).then(
      (checked) => this.answerMany<T>(byRaw, checked, manyKeyRecord<T>(), version),
    )
  }

  private answerMany<T>(
    byRaw: Map<string, string>,
    found: Map<string, unknown>,
    out: Record<string, T>,
    version: number | undefined,
  ): Record<string, T> {
    const now = this.clock.now()
    for (const [raw, key] of byRaw) {
      const stored = found.get(raw)
      const v = stored !== undefined || found.has(raw) ? openEnvelope(stored, now) : STALE
      if (v !== STALE) {
        this.counted('hit', key, raw, version)
        putManyKey(out, key, v as T)
      } else this.counted('miss', key, raw, version)
    }
    return out
  }

  async setMany<E extends Record<string, unknown> | Iterable<readonly [string, unknown]>>(
    entries: StorableValue<E>,
    timeout?: Timeout,
    opts?: VersionOpts & TagOpts,
  ): Promise<string[]> {
    const tags = tagsOf(opts)
    const iter: Iterable<[string, unknown]> =
      Symbol.iterator in Object(entries) && !isPlainRecord(entries)
        ? (entries as Iterable<[string, unknown]>)
        : Object.entries(entries as Record<string, unknown>)
    const pairs: Array<[string, unknown]> = []
    const byRaw = new Map<string, string>()
    for (const [k, v] of iter) {
      const raw = this.rawKey(k, opts?.version)
      byRaw.set(raw, k)
      pairs.push([raw, tags.length > 0 ? v : escapeEnvelope(v)])
    }
    if (pairs.length === 0) return []
    const exp = this.expiryFor(timeout)
    let failedRaw: string[]
    try {
      failedRaw = await this.mustWrite('setMany', async () => {
        if (exp !== null && exp <= this.clock.now()) {
          for (const [, v] of pairs) isolatedCopy(v)
          await this._deleteMany(pairs.map((p) => p[0]))
          return []
        }
        if (tags.length > 0) {
          const snap = await this.tagIndex.snapshot(tags)
          return this._setMany(
            pairs.map(([k, v]) => [k, makeEnvelope(v, { tags: snap })]),
            exp,
          )
        }
        return this._setMany(pairs, exp)
      })
    } catch (e) {
      if (e instanceof CacheUnavailableError && this.ignoreErrors) return [...byRaw.values()]
      throw e
    }
    const failed = new Set(failedRaw)
    for (const [raw, key] of byRaw) {
      if (!failed.has(raw)) this.counted('set', key, raw, opts?.version)
    }
    return failedRaw.map((r) => byRaw.get(r) ?? r)
  }

  async deleteMany(keys: Iterable<string>, opts?: VersionOpts): Promise<void> {
    const byRaw = new Map<string, string>()
    for (const k of keys) byRaw.set(this.rawKey(k, opts?.version), k)
    if (byRaw.size === 0) return
    await this.write('deleteMany', async () => {
      await this._deleteMany([...byRaw.keys()])
      return true
    })
    this.counters.deletes += byRaw.size
    if (this.events.active) for (const [raw, key] of byRaw) this.report.key('delete', key, raw, opts?.version)
  }
}

function isPlainRecord(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false
  const p = Object.getPrototypeOf(v)
  return p === Object.prototype || p === null
}
