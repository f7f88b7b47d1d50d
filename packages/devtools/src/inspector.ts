/**
 * The inspector behind every channel that can reach `Cache` objects directly (the Vite
 * process, the page). Built only on `entries()`, `stats()`, `on('*')` and the public cache
 * methods (docs/contract.md rules 13–14), so it works for every backend.
 */
import { type Cache, type CacheEvent, formatValue } from '@cachework/core'
import type { EventBatch, Op, Snapshot, WireCache, WireEntry, WireEvent } from './protocol.ts'

/** Options of `CacheInspector`. */
export interface InspectorOptions {
  /** Most entries listed per cache. Default 20,000. */
  maxEntries?: number
  /** Characters of value shown in the list. Default 120. */
  previewChars?: number
  /** Characters of value shown in the detail view. Default 200,000. */
  valueChars?: number
  /** How often a live subscription flushes its batch, in ms. Default 150. */
  flushMs?: number
}

/** An error a channel reports back as `{ error }` (unknown cache, bad operation). */
export class InspectorError extends Error {
  readonly code = 'CACHEWORK_DEVTOOLS'
}

/** Lists, changes and watches the caches returned by `list` (called afresh every time). */
export class CacheInspector {
  private readonly ids = new WeakMap<Cache, string>()
  private next = 1
  private readonly opts: Required<InspectorOptions>

  constructor(
    private readonly list: () => Cache[],
    opts: InspectorOptions = {},
  ) {
    this.opts = {
      maxEntries: opts.maxEntries ?? 20_000,
      previewChars: opts.previewChars ?? 120,
      valueChars: opts.valueChars ?? 200_000,
      flushMs: opts.flushMs ?? 150,
    }
  }

  /** A stable id for a cache (two caches may share an alias, e.g. in two registries). */
  idOf(cache: Cache): string {
    let id = this.ids.get(cache)
    if (!id) {
      id = `c${this.next++}`
      this.ids.set(cache, id)
    }
    return id
  }

  /** The caches with their ids. */
  caches(): Array<{ id: string; cache: Cache }> {
    let list: Cache[]
    try {
      list = [...new Set(this.list())]
    } catch {
      list = []
    }
    return list.map((cache) => ({ id: this.idOf(cache), cache }))
  }

  private find(id: string): Cache {
    const hit = this.caches().find((c) => c.id === id)
    if (!hit) throw new InspectorError(`No cache with id '${id}': refresh the devtools list`)
    return hit.cache
  }

  /** Every cache and its live entries (at most `maxEntries` per cache). */
  async snapshot(): Promise<Snapshot> {
    const caches: WireCache[] = []
    const entries: WireEntry[] = []
    let truncated = false
    for (const { id, cache } of this.caches()) {
      caches.push({ id, alias: cache.alias, backend: cache.backendName, stats: cache.stats() })
      let n = 0
      try {
        for await (const e of cache.entries({ limit: this.opts.maxEntries + 1 })) {
          if (++n > this.opts.maxEntries) {
            truncated = true
            break
          }
          const w: WireEntry = {
            cache: id,
            rawKey: e.rawKey,
            expiresAt: e.expiresAt,
            preview: 'value' in e ? formatValue(e.value, { max: this.opts.previewChars }) : '',
          }
          if (e.key !== undefined) w.key = e.key
          if (e.version !== undefined) w.version = e.version
          if (e.size !== undefined) w.size = e.size
          entries.push(w)
        }
      } catch {
        // An unreachable backend (rule 15) lists what it could; its stats still show.
      }
    }
    return truncated ? { caches, entries, truncated } : { caches, entries }
  }

  /** The full value of one entry, pretty-printed, found by its raw key without a `get`. */
  async value(cacheId: string, rawKey: string): Promise<{ text: string | null }> {
    const cache = this.find(cacheId)
    // Reading through entries() leaves hit/miss counters and LRU order untouched.
    for await (const e of cache.entries()) {
      if (e.rawKey === rawKey) {
        return {
          text: 'value' in e ? formatValue(e.value, { pretty: true, max: this.opts.valueChars }) : null,
        }
      }
    }
    return { text: null }
  }

  /** Run one operation and return its JSON-safe answer. */
  async run(op: Op): Promise<unknown> {
    switch (op.op) {
      case 'list':
        return this.snapshot()
      case 'value':
        return this.value(op.cache, op.rawKey)
      case 'delete':
        return { deleted: await this.find(op.cache).delete(op.key, versionOpts(op.version)) }
      case 'clear':
        await this.find(op.cache).clear()
        return { cleared: true }
      case 'bump':
        return { version: await this.find(op.cache).incrVersion(op.key, 1, versionOpts(op.version)) }
      default:
        throw new InspectorError(`Unknown devtools operation '${(op as { op?: unknown }).op}'`)
    }
  }

  /**
   * Watch every cache (`on('*')`), delivering batches of events and current stats every
   * `flushMs`. New caches are picked up on each flush. Returns the unsubscribe function.
   */
  subscribe(deliver: (batch: EventBatch) => void): () => void {
    const offs = new Map<Cache, () => void>()
    let events: WireEvent[] = []
    const attach = (): void => {
      for (const { id, cache } of this.caches()) {
        if (offs.has(cache)) continue
        offs.set(
          cache,
          cache.on('*', (e: CacheEvent) => {
            const w: WireEvent = { cache: id, type: e.type, at: e.at }
            if (e.key !== undefined) w.key = e.key
            if (e.rawKey !== undefined) w.rawKey = e.rawKey
            if (e.version !== undefined) w.version = e.version
            // Keep the batch bounded if a hot loop floods it between flushes.
            if (events.length < 500) events.push(w)
          }),
        )
      }
    }
    attach()
    let lastStats = ''
    const timer = setInterval(() => {
      attach()
      const stats: EventBatch['stats'] = {}
      for (const { id, cache } of this.caches()) stats[id] = cache.stats()
      const statsText = JSON.stringify(stats)
      if (events.length === 0 && statsText === lastStats) return
      lastStats = statsText
      const batch = { events, stats }
      events = []
      deliver(batch)
    }, this.opts.flushMs)
    return () => {
      clearInterval(timer)
      for (const off of offs.values()) off()
      offs.clear()
    }
  }
}

function versionOpts(version: number | undefined): { version?: number } {
  return version === undefined ? {} : { version }
}
