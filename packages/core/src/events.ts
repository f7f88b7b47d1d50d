/** One typed event stream per cache (docs/contract.md rule 13). */

/** The event types a cache emits. */
export type CacheEventType =
  | 'hit'
  | 'miss'
  | 'set'
  | 'delete'
  | 'expire'
  | 'evict'
  | 'clear'
  | 'error'
  | 'warning'
  /** Rule 16: `getOrSet` served a stale value (staleWhileRevalidate). */
  | 'stale'
  /** Rule 16: a background refresh (stale or XFetch early) started. */
  | 'refresh'

/** What a listener receives. `at` is epoch milliseconds. */
export interface CacheEvent {
  type: CacheEventType
  alias: string
  backend: string
  key?: string
  rawKey?: string
  version?: number
  at: number
  durationMs?: number
  /** For `error`: what went wrong. */
  error?: unknown
  /** For `warning` and `error`: a human-readable message. */
  message?: string
}

/** Counters since creation (docs/contract.md rule 13). */
export interface CacheStats {
  hits: number
  misses: number
  sets: number
  deletes: number
  evictions: number
  expirations: number
  errors: number
}

/** A listener; what it returns is ignored and what it throws is swallowed. */
export type CacheEventListener = (e: CacheEvent) => void

/**
 * A tiny emitter whose `active` flag lets hot paths skip building events entirely when nobody
 * listens (lru-cache's `hasSubscribers` idea): emitting then costs one property read.
 */
export class EventHub {
  /** True when at least one listener is attached. */
  active = false
  private readonly byType = new Map<string, Set<CacheEventListener>>()

  on(type: CacheEventType | '*', listener: CacheEventListener): () => void {
    let set = this.byType.get(type)
    if (!set) {
      set = new Set()
      this.byType.set(type, set)
    }
    set.add(listener)
    this.active = true
    return () => {
      set.delete(listener)
      if (set.size === 0) this.byType.delete(type)
      this.active = this.byType.size > 0
    }
  }

  emit(e: CacheEvent): void {
    this.deliver(this.byType.get(e.type), e)
    this.deliver(this.byType.get('*'), e)
  }

  private deliver(set: Set<CacheEventListener> | undefined, e: CacheEvent): void {
    if (!set) return
    for (const l of set) {
      try {
        l(e)
      } catch {
        // A listener's failure must never break a cache operation.
      }
    }
  }
}
