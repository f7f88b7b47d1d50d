/**
 * The event reporter of one cache (docs/contract.md rule 13): it keeps the `stats()` counters
 * and builds `CacheEvent`s only when somebody listens (`EventHub.active`), parsing `key` and
 * `version` back from a raw key when the default key function is used.
 */
import type { Clock } from './clock.ts'
import type { CacheEvent, CacheEventType, CacheStats, EventHub } from './events.ts'
import { defaultKeyFunction, type KeyFunction, parseDefaultKey } from './keys.ts'

/** What an event says about the cache that emitted it. */
export interface ReporterSource {
  readonly alias: string
  readonly backend: string
  readonly keyPrefix: string
  readonly keyFunction: KeyFunction
  /** The alias's default version. */
  readonly version: number
  readonly clock: Clock
}

/** A fresh set of counters, all zero. */
export function emptyStats(): CacheStats {
  return { hits: 0, misses: 0, sets: 0, deletes: 0, evictions: 0, expirations: 0, errors: 0 }
}

/** Counts and emits on behalf of one cache; `BaseCache` holds one. */
export class EventReporter {
  /**
   * @param hub the cache's listeners
   * @param counters the cache's `stats()` counters (shared: backends update them directly too)
   * @param source what every event names (alias, backend) and how raw keys are parsed back
   */
  constructor(
    readonly hub: EventHub,
    readonly counters: CacheStats,
    private readonly source: ReporterSource,
  ) {}

  /** Whether anybody listens (when not, building an event is skipped). */
  get active(): boolean {
    return this.hub.active
  }

  /** Now, in epoch ms, from the cache's clock. */
  now(): number {
    return this.source.clock.now()
  }

  /** Deliver a finished event. */
  emit(e: CacheEvent): void {
    this.hub.emit(e)
  }

  /** An event about the whole cache (`clear`, or culling every entry). */
  whole(type: CacheEventType): void {
    this.hub.emit({ type, alias: this.source.alias, backend: this.source.backend, at: this.now() })
  }

  /**
   * An event about one raw key. `key`/`version` are the caller's when known; otherwise they are
   * parsed back from `rawKey` when the default key function made it.
   */
  raw(
    type: CacheEventType,
    rawKey: string | undefined,
    extra?: Partial<CacheEvent>,
    key?: string,
    version?: number,
  ): void {
    const s = this.source
    const e: CacheEvent = { type, alias: s.alias, backend: s.backend, at: s.clock.now() }
    if (rawKey !== undefined) {
      e.rawKey = rawKey
      if (key !== undefined) {
        e.key = key
        e.version = version ?? s.version
      } else if (s.keyFunction === defaultKeyFunction) {
        const p = parseDefaultKey(rawKey, s.keyPrefix)
        if (p) {
          e.key = p.key
          e.version = p.version
        }
      }
    }
    if (extra) Object.assign(e, extra)
    this.hub.emit(e)
  }

  /** An event about a caller's key; `t0` (epoch ms) adds `durationMs`. */
  key(type: CacheEventType, key: string, rawKey: string, version: number | undefined, t0?: number): void {
    this.raw(type, rawKey, t0 === undefined ? undefined : { durationMs: this.now() - t0 }, key, version)
  }

  /** An entry found expired by a read or a cull. */
  expired(rawKey: string): void {
    this.counters.expirations++
    if (this.hub.active) this.raw('expire', rawKey)
  }

  /** An entry removed by culling. */
  evicted(rawKey: string): void {
    this.counters.evictions++
    if (this.hub.active) this.raw('evict', rawKey)
  }

  /** A key memcached could not take (rule 2), emitted as `warning`. */
  warning(rawKey: string, message: string): void {
    if (this.hub.active) this.raw('warning', rawKey, { message })
  }

  /** A storage failure (rule 15): counted and emitted as `error`. */
  error(error: unknown, rawKey?: string): void {
    this.counters.errors++
    if (this.hub.active) {
      this.raw('error', rawKey, { error, message: error instanceof Error ? error.message : String(error) })
    }
  }
}
