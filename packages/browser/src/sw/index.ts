/**
 * `@cachework/browser/sw`: the service-worker response cache. Call `installResponseCache()` at
 * the top level of a (module) service worker; it answers `fetch` events as an RFC 9111 private
 * cache and keeps every entry in a cachework backend (IndexedDB by default), so entries survive
 * worker restarts and the devtools panel can list them through the message protocol below.
 */
import { type Cache, type Clock, createCaches, resolveCache } from '@cachework/core'
import { IndexedDBCache } from '../indexeddb.ts'
import { ResponseCacheEngine, type RequestMatcher } from './engine.ts'
import { streamEvents } from './live.ts'
import type { FreshnessOptions } from './freshness.ts'
import { answerMessage, type MessageReply, type SwMessage } from './messages.ts'

export {
  type EngineStats,
  ResponseCacheEngine,
  type RequestMatcher,
  STATUS_HEADER,
  networkRequest,
} from './engine.ts'
export {
  type Directives,
  evaluate,
  type Evaluation,
  freshnessLifetime,
  type FreshnessOptions,
  type HeaderList,
  heuristicLifetime,
  isStorable,
  type StoredTiming,
} from './freshness.ts'
export { SW_EVENTS_CHANNEL, type SwLiveEvent, type SwLiveMessage, streamEvents } from './live.ts'
export {
  clearEntries,
  deleteEntry,
  entryValue,
  listEntries,
  type MessageReply,
  type SwMessage,
} from './messages.ts'
export {
  KEY_PREFIX,
  type StoredResponse,
  type SwEntryInfo,
  type VaryRecord,
  variantKey,
  varyKey,
} from './store.ts'

/** Options of `installResponseCache`. */
export interface ResponseCacheOptions extends FreshnessOptions {
  /** Which requests to handle: a predicate, or URL prefixes / regular expressions. Default: same-origin. */
  match?: RequestMatcher
  /** Where entries live: a `Cache` or an alias of the worker's registry. Default: an `indexeddb` cache at `location`. */
  cache?: Cache | string
  /** IndexedDB database of the default cache. Default `'cachework-sw'`. */
  location?: string
  /** Entries the default cache keeps before culling (docs/contract.md rule 11). Default 1000. */
  maxEntries?: number
  /** Responses whose `Content-Length` exceeds this many bytes pass through unstored (bodies are buffered to be stored). Default 10 MiB. */
  maxEntryBytes?: number
  /** Serve stale entries when the network is down and no directive forbids it (RFC 9111 §4.2.4). Default true. */
  serveStaleWhenOffline?: boolean
  /** Call `skipWaiting()` on install and `clients.claim()` on activate, so the first page load is controlled. Default true. */
  claim?: boolean
  /** Time source (tests). Default `Date.now`. */
  clock?: Clock
  /**
   * Post every answer and every write, batched within 50 ms, to the same-origin `BroadcastChannel`
   * `'cachework:sw-events'` (the devtools panel's live timeline; `live.ts`). Default true.
   */
  liveEvents?: boolean
}

/** The minimal worker-scope surface used here (the DOM lib has no service-worker types). */
interface ExtendableEventLike extends Event {
  waitUntil(p: Promise<unknown>): void
}
interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request
  respondWith(r: Promise<Response> | Response): void
}
interface MessageEventLike extends ExtendableEventLike {
  readonly data: unknown
  readonly ports: ReadonlyArray<MessagePort>
  readonly source: { postMessage(message: unknown): void } | null
}
interface WorkerScopeLike {
  location: { origin: string }
  addEventListener(type: string, listener: (event: Event) => void): void
  skipWaiting(): Promise<void>
  clients: { claim(): Promise<void> }
}

/** The default store: an `indexeddb` cache whose entries never expire by time (freshness is computed per request). */
function defaultCache(options: ResponseCacheOptions): Cache {
  const registry = createCaches({
    'cachework-sw': {
      // The class, not its registered name: a bundler may drop a side-effect-only registration.
      backend: IndexedDBCache,
      location: options.location ?? 'cachework-sw',
      timeout: null,
      options: { maxEntries: options.maxEntries ?? 1000 },
    },
  })
  return registry.get('cachework-sw')
}

/**
 * Install the response cache in the current service worker: listens to `fetch` (handling the
 * requests `match` selects; default same-origin GETs, with unsafe methods invalidating their
 * URL) and to `message` (`cachework:list`, `cachework:delete`, `cachework:clear`). Returns the
 * engine, whose `cache` holds the entries.
 */
export function installResponseCache(options: ResponseCacheOptions = {}): ResponseCacheEngine {
  const scope = globalThis as unknown as WorkerScopeLike
  const cache = options.cache === undefined ? defaultCache(options) : resolveCache(options.cache)
  const engine = new ResponseCacheEngine({ ...options, cache, origin: scope.location.origin })
  if (options.liveEvents ?? true) streamEvents(engine)

  if (options.claim ?? true) {
    scope.addEventListener('install', () => {
      void scope.skipWaiting()
    })
    scope.addEventListener('activate', (event) => {
      ;(event as ExtendableEventLike).waitUntil(scope.clients.claim())
    })
  }

  scope.addEventListener('fetch', (event) => {
    const fe = event as FetchEventLike
    const answer = engine.handle(fe.request, (p) => fe.waitUntil(p))
    if (answer !== undefined) fe.respondWith(answer)
  })

  scope.addEventListener('message', (event) => {
    const me = event as MessageEventLike
    const msg = me.data as SwMessage | null
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') return
    if (!msg.type.startsWith('cachework:')) return
    const reply = (r: MessageReply): void => {
      const port = me.ports[0]
      if (port) port.postMessage(r)
      else me.source?.postMessage(r)
    }
    if (msg.type === 'cachework:claim') {
      // A page that loaded uncontrolled (hard reload) asks to be taken over; only when claiming is on.
      const claim = options.claim ?? true
      me.waitUntil(
        (claim ? scope.clients.claim() : Promise.resolve()).then(() =>
          me.ports[0]?.postMessage({ type: msg.type, claimed: claim } satisfies MessageReply),
        ),
      )
      return
    }
    me.waitUntil(
      answerMessage(engine, msg).then(reply, (error: unknown) =>
        reply({ type: msg.type, error: error instanceof Error ? error.message : String(error) }),
      ),
    )
  })
  return engine
}
