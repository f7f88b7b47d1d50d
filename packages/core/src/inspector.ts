/**
 * The inspector behind every channel that can reach `Cache` objects directly (the Vite
 * process, a separate Node server's `devtoolsEndpoint()`, the page). Built only on
 * `entries()`, `stats()`, `on('*')` and the public cache methods (docs/contract.md rules
 * 13–14), so it works for every backend; one implementation for every channel.
 */
import type { CacheEvent } from './events.ts'
import { isStoredResponse, type StoredResponse } from './http/body.ts'
import { isHeaderList } from './http/keys.ts'
import { onPageCacheReport, type PageCacheReport } from './http/report.ts'
import type {
  EventBatch,
  Op,
  Snapshot,
  WireCache,
  WireEntry,
  WireEvent,
  WireHttp,
  WireHttpSummary,
  WireValue,
} from './inspector-protocol.ts'
import { encodeValue } from './codec.ts'
import { formatValue } from './preview.ts'
import type { Cache } from './types.ts'
import { describeValue, isJsonValue } from './value-tree.ts'

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

const TEXT_BYTES = 256 * 1024
const IMAGE_BYTES = 512 * 1024

function header(headers: ReadonlyArray<[string, string]>, name: string): string | undefined {
  const hit = headers.find(([n]) => n.toLowerCase() === name)
  return hit?.[1]
}

/** `max-age` / `s-maxage` of a Cache-Control value, in seconds (RFC 9111 §5.2.2.1, §5.2.2.10). */
function maxAgeOf(cc: string | undefined): number | undefined {
  if (!cc) return undefined
  const m = /(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*"?(\d+)/i.exec(cc)
  return m ? Number(m[1]) : undefined
}

/** What a stored page stands for, for the list. */
export function httpSummary(v: StoredResponse): WireHttpSummary {
  const s: WireHttpSummary = { status: v.status, storedAt: v.storedAt }
  if (typeof v.url === 'string') s.url = v.url
  if (typeof v.method === 'string') s.method = v.method
  const vary = header(v.headers, 'vary')
  if (vary) s.vary = vary
  const maxAge = maxAgeOf(header(v.headers, 'cache-control'))
  if (maxAge !== undefined) s.maxAge = maxAge
  return s
}

function base64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(bin)
}

/** A stored page in full, for the entry view: headers, the body as text or (images) base64. */
export function httpView(v: StoredResponse): WireHttp {
  let text: string | null
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(v.body.subarray(0, TEXT_BYTES))
  } catch {
    text = null
  }
  const out: WireHttp = {
    status: v.status,
    statusText: v.statusText,
    headers: v.headers.map(([n, val]) => [n, val]),
    storedAt: v.storedAt,
    size: v.body.byteLength,
    text,
  }
  if (typeof v.url === 'string') out.url = v.url
  if (typeof v.method === 'string') out.method = v.method
  const type = header(v.headers, 'content-type') ?? ''
  if (/^image\//i.test(type) && v.body.byteLength <= IMAGE_BYTES) {
    out.base64 = base64(v.body)
    out.text = null
  }
  return out
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

  private wireCache(id: string, cache: Cache): WireCache {
    const w: WireCache = { id, alias: cache.alias, backend: cache.backendName, stats: cache.stats() }
    if (typeof (cache as { invalidateTags?: unknown }).invalidateTags === 'function') w.tags = true
    return w
  }

  /** Every cache and its live entries (at most `maxEntries` per cache). */
  async snapshot(): Promise<Snapshot> {
    const caches: WireCache[] = []
    const entries: WireEntry[] = []
    let truncated = false
    for (const { id, cache } of this.caches()) {
      caches.push(this.wireCache(id, cache))
      let n = 0
      try {
        // No sizes: locmem and indexeddb would encode every value to measure it; the entry view
        // asks for one entry's size (`value`). Backends that store bytes still report theirs.
        for await (const e of cache.entries({ limit: this.opts.maxEntries + 1, sizes: false })) {
          if (++n > this.opts.maxEntries) {
            truncated = true
            break
          }
          const w: WireEntry = { cache: id, rawKey: e.rawKey, expiresAt: e.expiresAt, preview: '' }
          if (e.state === 'leased') {
            // A lease item (rule 16): its value is the holder's record, not the entry's value.
            w.state = 'leased'
            if (e.leaseHolder !== undefined) w.leaseHolder = e.leaseHolder
            w.preview = `lease held by ${e.leaseHolder ?? 'another caller'}`
          } else if ('value' in e) {
            const v = e.value
            if (isStoredResponse(v)) {
              w.http = httpSummary(v)
              const type = header(v.headers, 'content-type') ?? ''
              w.preview = `${v.status} ${type} ${v.body.byteLength} B`.replace(/\s+/g, ' ')
            } else {
              if (isHeaderList(v) && e.key?.includes('cache_header')) w.headerList = v
              w.preview = formatValue(v, { max: this.opts.previewChars })
            }
          }
          if (e.key !== undefined) w.key = e.key
          if (e.version !== undefined) w.version = e.version
          if (e.size !== undefined) w.size = e.size
          if (e.state !== undefined && e.state !== 'leased') w.state = e.state
          if (e.softExpiresAt !== undefined) w.softExpiresAt = e.softExpiresAt
          const tags = (e as { tags?: unknown }).tags
          if (Array.isArray(tags) && tags.every((t) => typeof t === 'string')) w.tags = tags
          entries.push(w)
        }
      } catch {
        // An unreachable backend (rule 15) lists what it could; its stats still show.
      }
    }
    return truncated ? { caches, entries, truncated } : { caches, entries }
  }

  /** One entry's value by raw key, read through `entries()` (no `get`: counters and LRU stay). */
  private async read(
    cache: Cache,
    rawKey: string,
  ): Promise<{ found: boolean; value?: unknown; expiresAt?: number | null; size?: number }> {
    for await (const e of cache.entries({ sizes: false })) {
      if (e.rawKey !== rawKey) continue
      if (!('value' in e)) return { found: true }
      const got: { found: boolean; value?: unknown; expiresAt?: number | null; size?: number } = {
        found: true,
        value: e.value,
        expiresAt: e.expiresAt,
      }
      if (e.size !== undefined) got.size = e.size
      return got
    }
    return { found: false }
  }

  /** The full value of one entry: pretty text, typed tree, JSON when editable, HTTP view. */
  async value(cacheId: string, rawKey: string): Promise<WireValue> {
    const got = await this.read(this.find(cacheId), rawKey)
    if (!got.found || !('value' in got)) return { text: null }
    const v = got.value
    const out: WireValue = {
      text: formatValue(v, { pretty: true, max: this.opts.valueChars }),
      tree: describeValue(v),
    }
    const size = got.size ?? sizeOf(v)
    if (size !== undefined) out.size = size
    if (isStoredResponse(v)) out.http = httpView(v)
    else if (isJsonValue(v)) out.json = JSON.stringify(v, null, 2)
    return out
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
      case 'touch': {
        const t = op.timeout
        if (t !== null && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0))
          throw new InspectorError('touch needs a positive number of seconds, or null for never')
        return { touched: await this.find(op.cache).touch(op.key, t, versionOpts(op.version)) }
      }
      case 'edit':
        return this.edit(op.cache, op.key, op.version, op.json)
      case 'invalidateTags': {
        const cache = this.find(op.cache) as Cache & { invalidateTags?: (tags: string[]) => Promise<unknown> }
        if (typeof cache.invalidateTags !== 'function')
          throw new InspectorError(`cache '${cache.alias}' has no tags to invalidate`)
        if (!Array.isArray(op.tags) || !op.tags.every((t) => typeof t === 'string'))
          throw new InspectorError('invalidateTags needs a list of tag strings')
        return { invalidated: (await cache.invalidateTags(op.tags)) ?? true }
      }
      default:
        throw new InspectorError(`Unknown devtools operation '${(op as { op?: unknown }).op}'`)
    }
  }

  /** Replace a JSON-representable value with parsed JSON (never evaluated), keeping its expiry. */
  private async edit(
    cacheId: string,
    key: string,
    version: number | undefined,
    json: string,
  ): Promise<unknown> {
    const cache = this.find(cacheId)
    if (typeof json !== 'string') throw new InspectorError('edit needs the new value as JSON text')
    let value: unknown
    try {
      value = JSON.parse(json)
    } catch (e) {
      throw new InspectorError(`not JSON: ${e instanceof Error ? e.message : String(e)}`)
    }
    const rawKey = cache.makeKey(key, version)
    const got = await this.read(cache, rawKey)
    if (!got.found) throw new InspectorError(`'${key}' is no longer in '${cache.alias}'`)
    if ('value' in got && !isJsonValue(got.value))
      throw new InspectorError(
        'only JSON-representable values can be edited (this one has types JSON would lose)',
      )
    const exp = got.expiresAt ?? null
    const timeout = exp === null ? null : Math.max(1, Math.ceil((exp - Date.now()) / 1000))
    return { set: await cache.set(key, value, timeout, versionOpts(version)) }
  }

  /**
   * Watch every cache (`on('*')`) and every response cache's decisions, delivering batches of
   * events and current stats every `flushMs`. New caches are picked up on each flush. Returns
   * the unsubscribe function.
   */
  subscribe(deliver: (batch: EventBatch) => void): () => void {
    const offs = new Map<Cache, () => void>()
    let events: WireEvent[] = []
    // Keep the batch bounded if a hot loop floods it between flushes.
    const push = (w: WireEvent): void => {
      if (events.length < 2000) events.push(w)
    }
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
            if (e.message !== undefined) w.message = e.message
            push(w)
          }),
        )
      }
    }
    attach()
    const offPages = onPageCacheReport((r: PageCacheReport) => {
      const hit = this.caches().find((c) => c.cache.alias === r.alias)
      const w: WireEvent = {
        cache: hit?.id ?? '',
        type: `page:${r.type}`,
        at: r.at,
        url: `${r.method} ${r.url}`,
      }
      if (r.status !== undefined) w.status = r.status
      if (r.reason !== undefined) w.reason = r.reason
      push(w)
    })
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
      offPages()
      for (const off of offs.values()) off()
      offs.clear()
    }
  }
}

/** Bytes of a value in cachework's encoding (what locmem and indexeddb report), or undefined. */
function sizeOf(v: unknown): number | undefined {
  try {
    return encodeValue(v).length
  } catch {
    return undefined
  }
}

function versionOpts(version: number | undefined): { version?: number } {
  return version === undefined ? {} : { version }
}
