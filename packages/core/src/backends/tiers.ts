/**
 * The two tiers of the `tiered` backend (tiered.ts, docs/contract.md rule 18): resolving them from
 * aliases, configs or caches, and the bus that keeps the L1 copies of other processes or tabs
 * coherent (each write publishes the raw keys it changed; a message drops them from L1; a bus
 * that reconnects empties L1, since messages sent while it was away are lost).
 */
import { BaseCache, type RawEntry, type StoredEntry } from '../base-cache.ts'
import { type BusMessage, busFactory, type CacheBus } from '../bus.ts'
import { ImproperlyConfigured } from '../errors.ts'
import type { CacheStats } from '../events.ts'
import { caches, createCaches } from '../registry.ts'
import type { Cache, CacheConfig } from '../types.ts'

/** One tier as configured: an alias, a config, or a cache. */
export type TierSpec = string | CacheConfig | Cache

/** The bus option: an instance, `{ type: 'broadcast' | 'redis', … }`, or `false`/absent for none. */
export type BusSpec = CacheBus | { type: string; [option: string]: unknown } | false

/** The storage primitives of a tier (BaseCache's protected methods, reached from here). */
export interface Tier {
  readonly alias: string
  readonly backendName: string
  readonly defaultTimeout: number | null
  validateKey(raw: string): void
  stats(): CacheStats
  _get(raw: string): Promise<StoredEntry | undefined>
  _set(raw: string, value: unknown, exp: number | null): Promise<boolean>
  _add(raw: string, value: unknown, exp: number | null): Promise<boolean>
  _touch(raw: string, exp: number | null): Promise<boolean>
  _delete(raw: string): Promise<boolean>
  _clear(): Promise<void>
  _entries(opts?: { sizes?: boolean }): AsyncIterable<RawEntry>
  _getMany(raws: string[]): Promise<Map<string, unknown>>
  _setMany(pairs: Array<[string, unknown]>, exp: number | null): Promise<string[]>
  _deleteMany(raws: string[]): Promise<void>
  _incr(raw: string, delta: number, callerKey: string): Promise<number>
  _moveVersion(from: string, to: string): Promise<boolean>
  _expiryOf(raw: string): Promise<number | null | undefined>
  close(): Promise<void>
}

/**
 * The tiers `specs` name, for the tiered cache `self` of alias `alias`: an alias is looked up in
 * the process registry, a config gets a registry of its own, a cache is used as it is. Each must
 * be a `BaseCache` (its storage primitives are called directly) and not `self`.
 */
export function resolveTiers(
  specs: readonly [TierSpec, TierSpec],
  alias: string,
  self: unknown,
): [Tier, Tier] {
  return specs.map((spec, i) => {
    let c: Cache
    if (typeof spec === 'string') c = caches.get(spec)
    else if (typeof (spec as Cache).get === 'function') c = spec as Cache
    else c = createCaches({ [`${alias}:l${i + 1}`]: spec as CacheConfig }).get(`${alias}:l${i + 1}`)
    if (!(c instanceof BaseCache))
      throw new ImproperlyConfigured(`tiered cache '${alias}': tier ${i + 1} is not a BaseCache`)
    if (c === self) throw new ImproperlyConfigured(`tiered cache '${alias}' cannot be its own tier`)
    return c as unknown as Tier
  }) as [Tier, Tier]
}

function randomId(): string {
  const b = new Uint32Array(2)
  globalThis.crypto.getRandomValues(b)
  return `${(b[0] as number).toString(36)}${(b[1] as number).toString(36)}`
}

/** One tiered cache's end of the coherence bus. */
export class TierBus {
  /** This instance's id on the bus (its own messages are ignored). */
  readonly id = randomId()
  /** Messages received that dropped L1 copies, and L1 flushes after a reconnect. */
  readonly stats = { received: 0, flushes: 0 }
  private bus: CacheBus | undefined
  private unsubscribe: (() => void) | undefined

  /** Connect to the bus `spec` names (none for `false`/absent); `l1` gives the tier to drop copies from. */
  connect(spec: BusSpec | undefined, alias: string, l1: () => Tier): void {
    if (!spec) return
    let bus: CacheBus
    if (typeof (spec as CacheBus).publish === 'function') bus = spec as CacheBus
    else {
      const { type, ...rest } = spec as { type: string }
      const f = busFactory(type)
      if (!f) {
        throw new ImproperlyConfigured(
          `tiered cache '${alias}': bus type '${type}' is not registered (import '@cachework/node' for 'redis')`,
        )
      }
      bus = f(rest, `cachework:tiered:${alias}`)
    }
    this.bus = bus
    this.unsubscribe = bus.subscribe(
      (m) => void this.onMessage(m, l1),
      () => void this.flush(l1),
    )
  }

  private async onMessage(m: BusMessage, l1: () => Tier): Promise<void> {
    if (m.from === this.id) return
    const tier = l1()
    this.stats.received++
    try {
      if (m.clear) await tier._clear()
      else if (m.keys?.length) await tier._deleteMany(m.keys)
    } catch {
      // L1 is local memory or storage of this process: nothing to recover here.
    }
  }

  /** Empty L1 (after a bus reconnect: messages may have been lost). */
  private async flush(l1: () => Tier): Promise<void> {
    this.stats.flushes++
    await l1()._clear()
  }

  /** Tell the other instances to drop these raw keys from their L1. */
  publish(keys: string[]): void {
    if (this.bus && keys.length > 0) this.bus.publish({ from: this.id, keys })
  }

  /** Tell the other instances to empty their L1. */
  publishClear(): void {
    if (this.bus) this.bus.publish({ from: this.id, clear: true })
  }

  /** Leave the bus (a later `connect` joins again). */
  async close(): Promise<void> {
    this.unsubscribe?.()
    this.unsubscribe = undefined
    await this.bus?.close()
    this.bus = undefined
  }
}
