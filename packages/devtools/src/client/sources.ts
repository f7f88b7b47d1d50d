/**
 * Where the panel's entries come from. Each source speaks the wire protocol of
 * `@cachework/core/inspect` (core's inspector-protocol.ts): the Vite process (Vite's
 * WebSocket), a separate Node server (HTTP + SSE through the Vite proxy), the page itself
 * (in-page inspector), the service worker (`postMessage`).
 */
import type { Cache } from '@cachework/core'
import { inspectedCaches } from '@cachework/core/inspect'
import { CacheInspector } from '../inspector.ts'
import type { CacheStats } from '@cachework/core'
import {
  type EventBatch,
  type InspectorOp as Op,
  type InspectorSnapshot as Snapshot,
  TOKEN_HEADER,
  WS_EVENTS,
  type WireEntry,
  type WireEvent,
  type WireHttp,
  type WireValue,
} from '@cachework/core/inspect'

/** One place caches live, as the panel sees it. */
export interface Source {
  /** Short id: `vite`, `server`, `page`, `sw`. */
  readonly id: string
  /** What the panel shows in the source column. */
  readonly label: string
  /** Run one operation (`list`, `value`, `delete`, `clear`, `bump`). */
  run(op: Op): Promise<unknown>
  /** Watch events and stats; returns the unsubscribe function. */
  subscribe(onBatch: (batch: EventBatch) => void): () => void
}

/** The subset of `import.meta.hot` the panel uses. */
export interface HotChannel {
  send(event: string, data?: unknown): void
  on(event: string, cb: (data: unknown) => void): void
  off?(event: string, cb: (data: unknown) => void): void
}

/** The Vite process's caches, over Vite's own WebSocket. */
export class ViteSource implements Source {
  readonly id = 'vite'
  readonly label = 'vite'
  private seq = 0
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()

  constructor(
    private readonly hot: HotChannel,
    private readonly token: string,
  ) {
    hot.on(WS_EVENTS.response, (data) => {
      const msg = data as { id?: number; result?: unknown; error?: string }
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id)
      if (!p || msg.id === undefined) return
      this.pending.delete(msg.id)
      if (msg.error) p.reject(new Error(msg.error))
      else p.resolve(msg.result)
    })
  }

  run(op: Op): Promise<unknown> {
    const id = ++this.seq
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.hot.send(WS_EVENTS.request, { id, token: this.token, op })
      setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error('the Vite dev server did not answer within 15 s'))
      }, 15_000)
    })
  }

  subscribe(onBatch: (batch: EventBatch) => void): () => void {
    const cb = (data: unknown): void => onBatch(data as EventBatch)
    this.hot.on(WS_EVENTS.events, cb)
    this.hot.send(WS_EVENTS.subscribe, { token: this.token })
    return () => {
      this.hot.off?.(WS_EVENTS.events, cb)
      this.hot.send(WS_EVENTS.unsubscribe, { token: this.token })
    }
  }
}

/** A separate Node server's caches, through the Vite proxy at `base` (`/__cachework/server`). */
export class HttpSource implements Source {
  readonly id = 'server'

  constructor(
    private readonly base: string,
    private readonly token: string,
    readonly label: string,
  ) {}

  private async call(path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { [TOKEN_HEADER]: this.token, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    })
    const json = (await res.json()) as { error?: string }
    if (!res.ok) throw new Error(json.error ?? `HTTP ${res.status}`)
    return json
  }

  run(op: Op): Promise<unknown> {
    switch (op.op) {
      case 'list':
        return this.call('/list')
      case 'value':
        return this.call(`/value?${new URLSearchParams({ cache: op.cache, rawKey: op.rawKey })}`)
      default:
        return this.call(`/${op.op}`, op)
    }
  }

  subscribe(onBatch: (batch: EventBatch) => void): () => void {
    // Server-sent events read through fetch, so the token travels in a header, not the URL.
    const ctl = new AbortController()
    void (async () => {
      try {
        const res = await fetch(`${this.base}/events`, {
          headers: { [TOKEN_HEADER]: this.token, accept: 'text/event-stream' },
          signal: ctl.signal,
        })
        const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader()
        if (!reader) return
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          buf += value
          let i = buf.indexOf('\n\n')
          while (i >= 0) {
            const chunk = buf.slice(0, i)
            buf = buf.slice(i + 2)
            const data = chunk
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trim())
              .join('\n')
            if (data) onBatch(JSON.parse(data) as EventBatch)
            i = buf.indexOf('\n\n')
          }
        }
      } catch {
        // Aborted, or the server went away: the panel keeps its last view.
      }
    })()
    return () => ctl.abort()
  }
}

/** The page's own caches: core's `caches`, `inspectCache`d ones and `extra`. */
export class PageSource implements Source {
  readonly id = 'page'
  readonly label = 'page'
  private readonly inspector: CacheInspector

  constructor(extra: () => Cache[] = () => []) {
    this.inspector = new CacheInspector(() => [...inspectedCaches(), ...extra()])
  }

  run(op: Op): Promise<unknown> {
    return this.inspector.run(op)
  }

  subscribe(onBatch: (batch: EventBatch) => void): () => void {
    return this.inspector.subscribe(onBatch)
  }
}

/** What `cachework:list` answers per stored response (`SwEntryInfo` of `@cachework/browser/sw`). */
interface SwEntry {
  key?: string
  url?: string
  variant?: string
  status?: number
  storedAt?: number
  expires?: number | null
  size?: number
}

/** The worker's counters (`EngineStats` of `@cachework/browser/sw`). */
type SwStats = Record<string, number>

const SW_HITS = ['hit', 'stale', 'revalidated', 'stale-if-error']

function swCacheStats(s: SwStats | undefined, entries: number): CacheStats {
  const n = (k: string): number => (typeof s?.[k] === 'number' ? (s[k] as number) : 0)
  return {
    hits: SW_HITS.reduce((a, k) => a + n(k), 0),
    misses: n('miss'),
    sets: entries,
    deletes: 0,
    evictions: 0,
    expirations: 0,
    errors: 0,
  }
}

/** `SW_EVENTS_CHANNEL` of `@cachework/browser/sw` (this package depends on core only). */
export const SW_EVENTS_CHANNEL = 'cachework:sw-events'

/** What the worker posts on that channel (`SwLiveMessage` of `@cachework/browser/sw`). */
interface SwLiveMessage {
  type: 'cachework:events'
  events: Array<{ type: string; at: number; key?: string; url?: string }>
  stats: SwStats
}

/**
 * The service worker's response cache, over `postMessage` (the protocol of
 * `@cachework/browser/sw`): `cachework:list` / `cachework:value` / `cachework:delete` /
 * `cachework:clear`, each answered on the transferred port. Events stream live: the worker posts
 * each answer (`hit`, `stale`, `revalidated`, `stale-if-error`, `miss`, …) and each write (`set`,
 * `delete`, …) to the `BroadcastChannel` {@link SW_EVENTS_CHANNEL} as it happens; nothing polls.
 */
export class ServiceWorkerSource implements Source {
  readonly id = 'sw'
  readonly label = 'service worker'
  private static readonly CACHE = 'sw'
  private readonly storedAt = new Map<string, number>()
  /** Entries in the last list (the card's `sets`). */
  private listed = 0

  private async ask(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const sw = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker
    const worker = sw?.controller
    if (!worker) return { entries: [] }
    const ch = new MessageChannel()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the service worker did not answer within 15 s')),
        15_000,
      )
      ch.port1.onmessage = (e: MessageEvent) => {
        clearTimeout(timer)
        const data = (e.data ?? {}) as Record<string, unknown>
        if (typeof data.error === 'string') reject(new Error(data.error))
        else resolve(data)
      }
      worker.postMessage(message, [ch.port2])
    })
  }

  private async listRaw(): Promise<{ list: SwEntry[]; stats: SwStats | undefined }> {
    if (typeof navigator === 'undefined' || !navigator.serviceWorker?.controller)
      return { list: [], stats: undefined }
    const data = await this.ask({ type: 'cachework:list' })
    const list = Array.isArray(data.entries) ? (data.entries as SwEntry[]) : []
    return { list, stats: data.stats as SwStats | undefined }
  }

  async run(op: Op): Promise<unknown> {
    switch (op.op) {
      case 'list': {
        const { list, stats } = await this.listRaw()
        const entries = list.map((e): WireEntry => {
          const w: WireEntry = {
            cache: ServiceWorkerSource.CACHE,
            rawKey: String(e.key ?? e.url ?? ''),
            expiresAt: typeof e.expires === 'number' && Number.isFinite(e.expires) ? e.expires : null,
            preview: [e.status, e.url, e.variant].filter((x) => x !== undefined && x !== '').join(' '),
          }
          if (typeof e.key === 'string') w.key = e.key
          if (typeof e.size === 'number') w.size = e.size
          if (typeof e.status === 'number' && typeof e.storedAt === 'number') {
            w.http = { status: e.status, storedAt: e.storedAt, method: 'GET' }
            if (e.url) w.http.url = e.url
            if (e.variant) w.http.vary = e.variant
            this.storedAt.set(w.rawKey, e.storedAt)
          }
          return w
        })
        this.listed = entries.length
        const snapshot: Snapshot = {
          caches: [
            {
              id: ServiceWorkerSource.CACHE,
              alias: 'responses',
              backend: 'service worker',
              stats: swCacheStats(stats, entries.length),
            },
          ],
          entries,
        }
        return snapshot
      }
      case 'delete':
        return this.ask({ type: 'cachework:delete', key: op.key })
      case 'clear':
        return this.ask({ type: 'cachework:clear' })
      case 'value': {
        const data = await this.ask({ type: 'cachework:value', key: op.rawKey })
        const v = data.value as {
          status: number
          headers: Array<[string, string]>
          text: string | null
          size: number
        } | null
        if (!v) return { text: null } satisfies WireValue
        const entry = (await this.listRaw()).list.find((e) => e.key === op.rawKey)
        const http: WireHttp = {
          status: v.status,
          statusText: '',
          headers: v.headers,
          storedAt: entry?.storedAt ?? this.storedAt.get(op.rawKey) ?? Date.now(),
          size: v.size,
          text: v.text,
          method: 'GET',
        }
        if (entry?.url) http.url = entry.url
        return { text: v.text ?? '', http } satisfies WireValue
      }
      default:
        throw new Error(`the service worker cache cannot ${op.op}`)
    }
  }

  subscribe(onBatch: (batch: EventBatch) => void): () => void {
    if (typeof BroadcastChannel === 'undefined') return () => {}
    const channel = new BroadcastChannel(SW_EVENTS_CHANNEL)
    channel.onmessage = (m: MessageEvent) => {
      const msg = m.data as SwLiveMessage | null
      if (msg?.type !== 'cachework:events' || !Array.isArray(msg.events)) return
      const events = msg.events.map((e): WireEvent => {
        const w: WireEvent = { cache: ServiceWorkerSource.CACHE, type: String(e.type), at: Number(e.at) }
        if (typeof e.key === 'string') w.key = e.key
        if (typeof e.url === 'string') w.url = e.url
        return w
      })
      onBatch({ events, stats: { [ServiceWorkerSource.CACHE]: swCacheStats(msg.stats, this.listed) } })
    }
    return () => channel.close()
  }
}
