/**
 * The worker's live event stream for the devtools panel: every answer of the engine (`hit`,
 * `stale`, `revalidated`, `stale-if-error`, `miss`, `uncached`, `bypass`) and every write to its
 * store (`set`, `delete`, `clear`, `evict`, `expire`), posted to the same-origin
 * `BroadcastChannel` {@link SW_EVENTS_CHANNEL} with the engine's counters, in batches: the
 * events of `BATCH_MS` (50 ms) go in one message. A message is a structured clone and a
 * hop through the browser process, so one per answer cost a cache hit about a tenth of its
 * latency (`npm run bench -- sw`); a batch costs it one array push.
 */
import type { CacheEvent } from '@cachework/core'
import type { EngineStats, ResponseCacheEngine } from './engine.ts'
import { KEY_PREFIX } from './store.ts'

/** The channel the worker posts its events to (`new BroadcastChannel(SW_EVENTS_CHANNEL)` in a page). */
export const SW_EVENTS_CHANNEL = 'cachework:sw-events'

/** How long events wait to be posted together (ms): the first of a batch starts the timer. */
const BATCH_MS = 50

/** One event as the worker posts it. `url` is `GET <url>` where the event concerns one. */
export interface SwLiveEvent {
  type: string
  at: number
  key?: string
  url?: string
}

/** What each message on {@link SW_EVENTS_CHANNEL} holds. */
export interface SwLiveMessage {
  type: 'cachework:events'
  events: SwLiveEvent[]
  stats: EngineStats
}

const WRITES = new Set(['set', 'delete', 'clear', 'evict', 'expire'])
// A variant's key is `sw:<url>|<16 hex digits>` (store.ts `variantKey`); a URL's Vary record is `sw:<url>`.
const VARIANT = /\|[0-9a-f]{16}$/

/** Stream `engine`'s answers and writes; returns the function that stops it. No-op without BroadcastChannel. */
export function streamEvents(engine: ResponseCacheEngine): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => {}
  const channel = new BroadcastChannel(SW_EVENTS_CHANNEL)
  let batch: SwLiveEvent[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = (): void => {
    timer = undefined
    if (batch.length === 0) return
    const msg: SwLiveMessage = { type: 'cachework:events', events: batch, stats: { ...engine.stats } }
    batch = []
    try {
      channel.postMessage(msg)
    } catch {
      // A closing channel: the panel re-lists when it comes back.
    }
  }
  const post = (e: SwLiveEvent): void => {
    batch.push(e)
    timer ??= setTimeout(flush, BATCH_MS)
  }
  const onAnswer = (how: keyof EngineStats, url: string): void => {
    post({ type: how, at: Date.now(), url: `GET ${url}` })
  }
  engine.answered.push(onAnswer)
  const off = engine.cache.on('*', (e: CacheEvent) => {
    if (!WRITES.has(e.type)) return
    const key = e.key
    if (key !== undefined && (!key.startsWith(KEY_PREFIX) || !VARIANT.test(key))) return
    const w: SwLiveEvent = { type: e.type, at: e.at }
    if (key !== undefined) {
      w.key = key
      const url = key.slice(KEY_PREFIX.length, key.lastIndexOf('|'))
      if (!url.startsWith('#')) w.url = `GET ${url}`
    }
    post(w)
  })
  return () => {
    off()
    const i = engine.answered.indexOf(onAnswer)
    if (i >= 0) engine.answered.splice(i, 1)
    if (timer !== undefined) clearTimeout(timer)
    flush()
    channel.close()
  }
}
