/**
 * The response-cache engine of the service worker: given a `Request`, answer it from the stored
 * responses or the network by RFC 9111's rules for a private cache (freshness §4.2, validation
 * §4.3, invalidation §4.4) and RFC 5861's stale windows. It knows nothing about worker events;
 * `index.ts` wires it to `fetch` and `message`.
 */
import type { Cache, Clock } from '@cachework/core'
import { systemClock } from '@cachework/core/backend'
import { hasVaryHeader, rfc9111 } from '@cachework/core/http'
import { evaluate, type Evaluation, type FreshnessOptions, isStorable } from './freshness.ts'
import {
  deleteUrl,
  readVariant,
  readVariantOf,
  storedFields,
  type StoredResponse,
  toResponse,
  toStored,
  type VaryRecord,
  writeVariant,
} from './store.ts'

/** Which requests the cache handles: a predicate, or URL prefixes / regular expressions. */
export type RequestMatcher = ((request: Request) => boolean) | ReadonlyArray<string | RegExp>

/** Options of the engine (see `installResponseCache`). */
export interface EngineOptions extends FreshnessOptions {
  /** Where entries live. */
  cache: Cache
  /** Default: same-origin requests (relative to `origin`). */
  match?: RequestMatcher
  /** The worker's origin, for the same-origin default. */
  origin: string
  /** Serve a stale entry when the network is unreachable and no directive forbids it (RFC 9111 §4.2.4). Default true. */
  serveStaleWhenOffline?: boolean
  clock?: Clock
  /** Responses whose `Content-Length` exceeds this many bytes pass through unstored. Default 10 MiB. */
  maxEntryBytes?: number
  /** The network; default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>
}

/** Methods that never change state (RFC 9110 §9.2.1); every other method invalidates (RFC 9111 §4.4). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** The header telling how a response was produced: `hit`, `stale`, `revalidated`, `stale-if-error`, `miss`. */
export const STATUS_HEADER = 'x-cachework-sw'

type WaitUntil = (p: Promise<unknown>) => void

/**
 * How the engine answered requests since the worker started: by `STATUS_HEADER` value, plus
 * `uncached` (fetched, not storable) and `bypass` (matched, but left to the browser: HEAD and
 * OPTIONS, the page's conditional or range requests, `no-store`).
 */
export interface EngineStats {
  hit: number
  stale: number
  revalidated: number
  'stale-if-error': number
  miss: number
  uncached: number
  bypass: number
}

/** One engine per worker; see the module comment. */
export class ResponseCacheEngine {
  readonly cache: Cache
  private readonly opts: EngineOptions
  private readonly clock: Clock
  private readonly net: (request: Request) => Promise<Response>
  /** Background revalidations in flight, per variant key (one refresh per entry at a time). */
  private readonly refreshing = new Map<string, Promise<unknown>>()
  /** Synchronous validations in flight, per variant key, resolving to what they stored. */
  private readonly validating = new Map<string, Promise<StoredResponse | undefined>>()
  /** Each URL's last seen Vary list: a read hint only (see `readVariant`); storage stays the truth. */
  private readonly varyHints = new Map<string, string[]>()
  /** Answers since the worker started (worker memory: the devtools panel shows them as live stats). */
  readonly stats: EngineStats = {
    hit: 0,
    stale: 0,
    revalidated: 0,
    'stale-if-error': 0,
    miss: 0,
    uncached: 0,
    bypass: 0,
  }

  /** Called with every answer (`hit`, `miss`, …, `uncached`, `bypass`) and its URL; `live.ts` streams them. */
  readonly answered: Array<(how: keyof EngineStats, url: string) => void> = []

  constructor(opts: EngineOptions) {
    this.opts = opts
    this.cache = opts.cache
    this.clock = opts.clock ?? systemClock
    this.net = opts.fetch ?? ((r) => fetch(r))
  }

  /** Whether this engine handles `request` at all (before method rules). */
  matches(request: Request): boolean {
    const m = this.opts.match
    if (m === undefined) return new URL(request.url).origin === this.opts.origin
    if (typeof m === 'function') return m(request)
    return m.some((p) => (typeof p === 'string' ? request.url.startsWith(p) : p.test(request.url)))
  }

  /**
   * Answer `request`, or return `undefined` to let the browser handle it unchanged (requests
   * the cache must not touch). `waitUntil` keeps the worker alive for background work.
   */
  handle(request: Request, waitUntil: WaitUntil): Promise<Response> | undefined {
    if (!this.matches(request)) return undefined
    const answer = this.route(request, waitUntil)
    if (answer === undefined) {
      this.stats.bypass++
      this.tell('bypass', request.url)
      return undefined
    }
    return answer.then((r) => {
      const how = r.headers.get(STATUS_HEADER) as keyof EngineStats | null
      const counted = how !== null && how in this.stats ? how : 'uncached'
      this.stats[counted]++
      this.tell(counted, request.url)
      return r
    })
  }

  private tell(how: keyof EngineStats, url: string): void {
    for (const fn of this.answered) fn(how, url)
  }

  private route(request: Request, waitUntil: WaitUntil): Promise<Response> | undefined {
    if (request.method !== 'GET') {
      if (SAFE_METHODS.has(request.method)) return undefined
      return this.passUnsafe(request)
    }
    // The page's own conditional requests go to the origin as they are.
    const h = request.headers
    if (h.has('if-none-match') || h.has('if-modified-since')) return undefined
    if (request.cache === 'no-store' || /no-store/i.test(h.get('cache-control') ?? '')) return undefined
    // A single byte range is answered from a fresh stored complete response (RFC 9110 §14.2);
    // anything else about ranges (several, If-Range, nothing stored) goes to the origin.
    if (h.has('range')) return h.has('if-range') ? undefined : this.handleRange(request)
    return this.handleGet(request, waitUntil)
  }

  private async passUnsafe(request: Request): Promise<Response> {
    const response = await this.net(request)
    // RFC 9111 §4.4: a non-error response to an unsafe method invalidates the target URI and the
    // same-origin Location / Content-Location it names.
    if (response.type === 'opaqueredirect' || (response.status >= 200 && response.status < 400)) {
      const urls = new Set([stripFragment(request.url)])
      for (const name of ['location', 'content-location']) {
        const v = response.headers.get(name)
        if (v === null) continue
        const u = new URL(v, request.url)
        if (u.origin === new URL(request.url).origin) urls.add(stripFragment(u.href))
      }
      // Awaited, not left to waitUntil: a GET sent after the response must not see the old entry.
      await Promise.all([...urls].map((u) => deleteUrl(this.cache, u).catch(() => 0)))
    }
    return response
  }

  private async handleRange(request: Request): Promise<Response> {
    const url = stripFragment(request.url)
    const hit = await readVariant(this.cache, url, request.headers, this.varyHints).catch(() => undefined)
    if (hit && hit.stored.status === 200) {
      const ev = this.evaluate(hit.stored, request)
      const range = rfc9111.parseRange(request.headers.get('range'), hit.stored.body.byteLength)
      if (ev.fresh && range !== undefined) {
        const part = rfc9111.rangeAnswer(range, reuseHeaders(hit.stored), hit.stored.body)
        const headers = new Headers(part.headers)
        headers.set('age', String(Math.floor(ev.age)))
        headers.set(STATUS_HEADER, 'hit')
        return new Response(part.body as Uint8Array<ArrayBuffer>, { status: part.status, headers })
      }
    }
    return this.net(networkRequest(request, this.opts.origin))
  }

  private async handleGet(request: Request, waitUntil: WaitUntil): Promise<Response> {
    const url = stripFragment(request.url)
    if (request.cache === 'reload') return this.fetchAndStore(request, url)
    const seen: { record?: VaryRecord } = {}
    const hit = await readVariant(this.cache, url, request.headers, this.varyHints, seen).catch(
      () => undefined,
    )
    if (hit === undefined) {
      // only-if-cached without an entry: 504, as a browser's HTTP cache answers (Fetch standard).
      if (request.cache === 'only-if-cached') return new Response(null, { status: 504 })
      const etags = seen.record?.etags
      if (etags && Object.keys(etags).length > 0) return this.validateOthers(request, url, etags)
      return this.fetchAndStore(request, url)
    }
    const ev = this.evaluate(hit.stored, request)
    if (request.cache === 'force-cache' || request.cache === 'only-if-cached')
      return serve(hit.stored, ev, 'hit')
    // A reload (`no-cache`) revalidates, except a fresh `immutable` response (RFC 8246 §2.1).
    if (
      request.cache === 'no-cache' &&
      !(ev.fresh && rfc9111.responseDirectives(hit.stored.headers).has('immutable'))
    )
      ev.fresh = false
    if (ev.fresh) return serve(hit.stored, ev, 'hit')
    if (ev.staleWhileRevalidate && request.cache !== 'no-cache') {
      waitUntil(this.refreshInBackground(request, url, hit.key, hit.stored))
      return serve(hit.stored, ev, 'stale')
    }
    return this.revalidateOnce(request, url, hit.key, hit.stored, ev)
  }

  /**
   * Single-flight validation: concurrent requests for one stale variant send one conditional
   * request; the others serve what it stored (when their headers select that variant), so a
   * burst of page loads costs the origin one 304, not one per request.
   */
  private async revalidateOnce(
    request: Request,
    url: string,
    key: string,
    stored: StoredResponse,
    ev: Evaluation,
  ): Promise<Response> {
    const running = this.validating.get(key)
    if (running) {
      const shared = await running
      if (shared && shared.variant === rfc9111.varyValues(request.headers, shared.varyHeaders)) {
        return serve(shared, this.evaluate(shared, request), 'revalidated')
      }
      return this.revalidate(request, url, stored, ev)
    }
    let settle: (s: StoredResponse | undefined) => void = () => undefined
    this.validating.set(key, new Promise((resolve) => (settle = resolve)))
    let result: StoredResponse | undefined
    try {
      return await this.revalidate(request, url, stored, ev, (s) => {
        result = s
      })
    } finally {
      this.validating.delete(key)
      settle(result)
    }
  }

  private evaluate(stored: StoredResponse, request: Request): Evaluation {
    return evaluate(
      stored,
      this.clock.now(),
      request.headers.get('cache-control'),
      request.headers.get('pragma'),
      this.opts,
    )
  }

  /** Fetch from the network; store the response when RFC 9111 §3 allows, before serving it. */
  private async fetchAndStore(request: Request, url: string): Promise<Response> {
    const requestTime = this.clock.now()
    const response = await this.net(networkRequest(request, this.opts.origin))
    const responseTime = this.clock.now()
    return this.storeAndServe(request, url, response, requestTime, responseTime)
  }

  private async storeAndServe(
    request: Request,
    url: string,
    response: Response,
    requestTime: number,
    responseTime: number,
    onStored?: (s: StoredResponse) => void,
  ): Promise<Response> {
    const length = Number(response.headers.get('content-length') ?? 0)
    // A followed redirect is not stored under the URL that redirected: the redirect has its own
    // freshness (RFC 9111 §3), which the worker never saw.
    const storable =
      (response.type === 'basic' || response.type === 'cors' || response.type === 'default') &&
      !response.redirected &&
      length <= (this.opts.maxEntryBytes ?? 10 * 1024 * 1024) &&
      !variesOnHiddenHeader(response, request) &&
      isStorable(response.status, [...response.headers], request.headers.get('cache-control'))
    if (!storable) return response
    const stored = await toStored(response, url, request.headers, requestTime, responseTime)
    // Stored before it is served, so the next request finds it (deterministic for pages and tests).
    await writeVariant(this.cache, stored).catch(() => undefined)
    onStored?.(stored)
    return toResponse(stored, [[STATUS_HEADER, 'miss']])
  }

  /**
   * Validate a stored response with the origin (RFC 9111 §4.3): a `304` freshens it (§4.3.4)
   * and serves its body; a failure serves it stale where `stale-if-error` (RFC 5861) or the
   * disconnected rule (§4.2.4) allows.
   */
  private async revalidate(
    request: Request,
    url: string,
    stored: StoredResponse,
    ev: Evaluation,
    onStored?: (s: StoredResponse) => void,
  ): Promise<Response> {
    const conditional = rfc9111.conditionalHeaders(stored.headers)
    // A validation asks the caches on the way to validate too (what browsers send; RFC 9111
    // §5.2.1.1). Without it the worker's `no-store` fetch would carry the browser's `no-cache`.
    const extra: Array<[string, string]> = request.headers.has('cache-control')
      ? conditional
      : [...conditional, ['cache-control', 'max-age=0']]
    const requestTime = this.clock.now()
    let response: Response
    try {
      response = await this.net(networkRequest(request, this.opts.origin, extra))
    } catch (error) {
      const offlineOk = (this.opts.serveStaleWhenOffline ?? true) && !ev.staleForbidden
      if (ev.staleIfError || offlineOk) return serve(stored, ev, 'stale-if-error')
      // Stale use forbidden and the origin unreachable: a generated 504 (RFC 9111 §4.2.4, §5.2.2.2).
      if (ev.staleForbidden) return gatewayTimeout()
      throw error
    }
    const responseTime = this.clock.now()
    if (response.status === 304 && conditional.length > 0) {
      const fresh: StoredResponse = {
        ...stored,
        headers: rfc9111.mergeNotModified(stored.headers, storedFields([...response.headers])),
        requestTime,
        responseTime,
      }
      await writeVariant(this.cache, fresh).catch(() => undefined)
      onStored?.(fresh)
      return serve(fresh, this.evaluate(fresh, request), 'revalidated')
    }
    if (response.status >= 500 && ev.staleIfError) return serve(stored, ev, 'stale-if-error')
    return this.storeAndServe(request, url, response, requestTime, responseTime, onStored)
  }

  /**
   * No stored variant matches the request's `Vary` values, but others carry `ETag`s: ask with
   * all of them in `If-None-Match` (RFC 9111 §4.3.1); the `304`'s `ETag` (or, without one, the
   * only tag sent) selects the variant, which is freshened, stored for this request's values
   * too and served (§4.3.4). A 304 that selects none is not the page's: it is asked again plainly.
   */
  private async validateOthers(
    request: Request,
    url: string,
    etags: Record<string, string>,
  ): Promise<Response> {
    const tags = [...new Set(Object.values(etags))]
    const extra: Array<[string, string]> = [['if-none-match', tags.join(', ')]]
    if (!request.headers.has('cache-control')) extra.push(['cache-control', 'max-age=0'])
    const requestTime = this.clock.now()
    const response = await this.net(networkRequest(request, this.opts.origin, extra))
    const responseTime = this.clock.now()
    if (response.status !== 304) return this.storeAndServe(request, url, response, requestTime, responseTime)
    const opaque = (t: string) => t.trim().replace(/^W\//, '')
    const tag = response.headers.get('etag')
    const variant = Object.keys(etags).find((v) =>
      tag === null ? tags.length === 1 : opaque(etags[v] as string) === opaque(tag),
    )
    const chosen =
      variant === undefined ? undefined : await readVariantOf(this.cache, url, variant).catch(() => undefined)
    if (chosen === undefined) {
      void response.body?.cancel()
      return this.fetchAndStore(request, url)
    }
    const fresh: StoredResponse = {
      ...chosen.stored,
      headers: rfc9111.mergeNotModified(chosen.stored.headers, storedFields([...response.headers])),
      requestTime,
      responseTime,
      variant: rfc9111.varyValues(request.headers, chosen.stored.varyHeaders),
    }
    await writeVariant(this.cache, fresh).catch(() => undefined)
    return serve(fresh, this.evaluate(fresh, request), 'revalidated')
  }

  /** `stale-while-revalidate`: refresh one entry in the background, once at a time per entry. */
  private refreshInBackground(
    request: Request,
    url: string,
    key: string,
    stored: StoredResponse,
  ): Promise<unknown> {
    const running = this.refreshing.get(key)
    if (running) return running
    const ev = this.evaluate(stored, request)
    const p = this.revalidate(request, url, stored, { ...ev, staleIfError: true })
      .then((r) => r.body?.cancel())
      .catch(() => undefined)
      .finally(() => this.refreshing.delete(key))
    this.refreshing.set(key, p)
    return p
  }
}

/**
 * Whether the response varies on a header the worker cannot see in the request: `Cookie` (and
 * `Authorization` the browser adds itself) are attached by the network stack, so two users'
 * requests would look alike and RFC 9111 §4.1's matching could not be honoured. Such responses
 * are not stored. `Accept-Encoding` is invisible too, but harmless: the body arrives decoded.
 */
function variesOnHiddenHeader(response: Response, request: Request): boolean {
  return (
    hasVaryHeader(response, 'cookie') ||
    (hasVaryHeader(response, 'authorization') && !request.headers.has('authorization'))
  )
}

/** The stored headers to send on reuse: without those a qualified `no-cache="…"` names (RFC 9111 §5.2.2.4). */
function reuseHeaders(stored: StoredResponse): Array<[string, string]> {
  return rfc9111.withoutFields(stored.headers, rfc9111.fieldsToOmit(stored.headers, { reuse: true }))
}

/**
 * Serve a stored response with `Age` (RFC 9111 §5.1) and the status header; served without
 * validation (`hit`, `stale`), the fields of a qualified `no-cache` are left out.
 */
function serve(stored: StoredResponse, ev: Evaluation, how: string): Response {
  const reuse = how === 'hit' || how === 'stale' || how === 'stale-if-error'
  const age = Number.isFinite(ev.age) ? Math.floor(ev.age) : 2 ** 31
  return toResponse(reuse ? { ...stored, headers: reuseHeaders(stored) } : stored, [
    ['age', String(age)],
    [STATUS_HEADER, how],
  ])
}

/** The answer when a stale response may not be used and the origin cannot be reached. */
function gatewayTimeout(): Response {
  return new Response(null, { status: 504, statusText: 'Gateway Timeout' })
}

function stripFragment(url: string): string {
  const i = url.indexOf('#')
  return i === -1 ? url : url.slice(0, i)
}

/**
 * The request the worker sends to the network: the page's headers plus `extra`, and
 * `cache: 'no-store'` so the browser's HTTP cache neither answers nor stores underneath this
 * cache (it is the page's private cache now). A navigation request cannot be copied with an
 * init, so it is rebuilt from its URL; a same-origin `no-cors` request becomes `same-origin` so
 * that the validators are not stripped as non-safelisted headers.
 */
export function networkRequest(
  request: Request,
  origin: string,
  extra: Array<[string, string]> = [],
): Request {
  const headers = new Headers(request.headers)
  for (const [k, v] of extra) headers.set(k, v)
  const sameOrigin = new URL(request.url).origin === origin
  if (request.mode === 'navigate') {
    return new Request(request.url, {
      method: 'GET',
      headers,
      mode: sameOrigin ? 'same-origin' : 'no-cors',
      credentials: request.credentials,
      redirect: 'manual',
      referrer: request.referrer,
      referrerPolicy: request.referrerPolicy,
      cache: 'no-store',
    })
  }
  const mode = request.mode === 'no-cors' && sameOrigin ? 'same-origin' : request.mode
  return new Request(request, { headers, cache: 'no-store', mode })
}
