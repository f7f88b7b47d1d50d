/**
 * The response-cache engine: Django 6.1's `FetchFromCacheMiddleware` and
 * `UpdateCacheMiddleware` (django/middleware/cache.py) on Fetch API objects, with the 2026
 * security rules, plus conditional GET, `Age` on hits, single-flight misses, a body size limit
 * and "an unavailable cache is a miss".
 */
import { NO_PEEK } from '../peek.ts'
import { resolveCache } from '../registry.ts'
import type { Cache } from '../types.ts'
import { responseFrom, type StoredResponse } from './body.ts'
import { conditionalResponse } from './conditional.ts'
import {
  checkNumberOptions,
  DEFAULT_FLIGHT_WAIT_MS,
  type NextHandler,
  type ResponseCacheOptions,
} from './engine-options.ts'
import { settleWithin } from './flight-bound.ts'
import { badHostResponse, isAcceptableRequestHost } from './hosts.ts'
import { absoluteUri, cacheHeaderKey, type KeyRequest, pageCacheKey } from './keys.ts'
import { lookupPage, type PageLookup, peekPage } from './page-hit.ts'
import {
  isErrorStatus,
  isStalePage,
  pagePollMs,
  RefreshClaims,
  type Release,
  type StalePageFields,
  takePageLease,
} from './page-stampede.ts'
import { type Outcome, type StoreContext, storeHalf } from './page-store.ts'
import { type NotStoredReason, type PageCacheReport, pageCacheReporting, reportPageCache } from './report.ts'
import { boundView } from './request-view.ts'
import { type SharedResponseCache, sharedEngine, sharedFetchHalf, sharedUpdateHalf } from './shared-mode.ts'
import type { SharedHandleOptions } from './shared-cache.ts'

export {
  DEFAULT_FLIGHT_WAIT_MS,
  DEFAULT_MAX_BODY_BYTES,
  type NextHandler,
  type ResponseCacheOptions,
} from './engine-options.ts'

// Django's `request._cache_update_cache`, and the responses that came out of the cache, shared
// by every engine so the two halves may be built separately (like Django's two middlewares).
// Both live on the objects themselves, under symbols: a WeakMap/WeakSet entry per request costs
// every young-generation GC (its ephemeron table outlives the short-lived requests it points at).
const UPDATE: unique symbol = Symbol('cachework.updateCache')
const FROM_CACHE: unique symbol = Symbol('cachework.fromCache')
const updateFlag = {
  get: (r: Request): boolean | undefined => (r as Request & { [UPDATE]?: boolean })[UPDATE],
  set: (r: Request, v: boolean): void => {
    ;(r as Request & { [UPDATE]?: boolean })[UPDATE] = v
  },
}
const fromCache = {
  has: (r: Response): boolean => (r as Response & { [FROM_CACHE]?: true })[FROM_CACHE] === true,
  add: (r: Response): void => {
    ;(r as Response & { [FROM_CACHE]?: true })[FROM_CACHE] = true
  },
}

/** The engine behind `cacheMiddleware` and `cachePage`; usable as two halves. */
export class ResponseCache {
  readonly options: Readonly<ResponseCacheOptions>
  /** The RFC 9111 engine when `mode: 'shared'`. */
  readonly shared?: SharedResponseCache
  /**
   * Whether adapters may write hits themselves (`peekHit`/`lookupHit`): Django mode, and keys
   * without i18n/time-zone suffixes (those need a Fetch `Request`).
   */
  readonly directHits: boolean
  /**
   * The clock reading the last `peekHit`/`lookupHit` hit was judged fresh at. An adapter that
   * writes that hit before anything else runs takes its `Age` from this instead of reading the
   * clock again (one clock read per hit, not two).
   */
  hitAt = 0
  private readonly flights = new Map<string, Promise<Outcome>>()
  /** What the storing half (page-store.ts) uses of this engine. */
  private readonly storing: StoreContext
  /** Rule 16 for pages (page-stampede.ts): refresh claims, and each claimer's stale page. */
  private readonly claims = new RefreshClaims()
  private readonly refreshes = new WeakMap<
    Request,
    { release: Release; stale: StoredResponse & StalePageFields }
  >()

  /** Build an engine; see `ResponseCacheOptions` for the defaults. */
  constructor(options: ResponseCacheOptions = {}) {
    checkNumberOptions(options)
    this.options = { ...options }
    this.storing = {
      options: this.options,
      cache: () => this.cache(),
      now: () => this.now(),
      report: (request, type, status, reason) => this.report(request, type, status, reason),
      fail: (error) => this.fail(error),
      finish: (request, response) => this.finish(request, response),
    }
    this.directHits =
      options.mode !== 'shared' && options.i18n === undefined && options.timeZone === undefined
    if (options.mode === 'shared') this.shared = sharedEngine(options)
    else if (options.mode !== undefined && options.mode !== 'django')
      throw new TypeError(
        `Response cache option 'mode' must be 'django' or 'shared', got ${JSON.stringify(options.mode)}`,
      )
  }

  /** Run the handler and check it answered with a `Response` (a common mistake otherwise fails far away). */
  private async run(request: Request, handler: NextHandler): Promise<Response> {
    const response = await handler(request)
    if (
      typeof response !== 'object' ||
      response === null ||
      typeof (response as Response).status !== 'number' ||
      typeof (response as Response).headers?.get !== 'function'
    ) {
      throw new TypeError(
        `The cached handler for ${request.method} ${request.url} returned ${String(response)}, not a Response`,
      )
    }
    return response
  }

  /** The cache, resolved per call (Django 6.1 reads `caches[alias]` per request). */
  cache(): Cache {
    return resolveCache(this.options.cache, this.options.registry)
  }

  /** The engine's clock (`now`, else `Date.now`), epoch ms. */
  now(): number {
    return this.options.now?.() ?? Date.now()
  }

  private fail(error: unknown): void {
    this.options.onError?.(error)
  }

  /** Tell inspection tools what happened (report.ts); free when nobody listens. */
  private report(
    request: KeyRequest,
    type: PageCacheReport['type'],
    status?: number,
    reason?: NotStoredReason,
  ): void {
    if (!pageCacheReporting()) return
    let alias = ''
    try {
      alias = this.cache().alias
    } catch {}
    const r: PageCacheReport = {
      type,
      alias,
      method: request.method,
      url: absoluteUri(request),
      at: this.now(),
    }
    if (status !== undefined) r.status = status
    if (reason !== undefined) r.reason = reason
    reportPageCache(r)
  }

  /** The stored page for a GET/HEAD request; a HEAD is served from a cached GET first, as in Django. */
  private lookup(request: Request): Promise<StoredResponse | undefined> {
    return lookupPage(this.cache(), request, request.method, this.options)
  }

  /**
   * A hit for an adapter to write itself (page-hit.ts), decided as `fetchFromCache` decides it,
   * without a promise: for a GET/HEAD whose host the adapter checked, the backend's own stored
   * page (never to be changed; reported as a hit), `undefined` on a miss (a failing cache is
   * one), or `NO_PEEK` when only `fetchFromCache`/`handle` can answer: a backend that cannot
   * peek, a stale page (rule 16), a `conditional` request (its 304/412), i18n/time-zone keys.
   */
  peekHit(request: KeyRequest, conditional: boolean): PageLookup {
    if (!this.directHits || (conditional && this.options.conditional !== false)) return NO_PEEK
    // One clock read for the hit: the backend judges expiry by it when it runs on the system
    // clock as this engine does (no `now` option), and `Age` and staleness are judged by it.
    const now = this.now()
    const systemNow = this.options.now === undefined ? now : undefined
    let stored: PageLookup
    try {
      stored = peekPage(this.cache(), request, request.method, this.options, systemNow)
    } catch (error) {
      this.fail(error)
      return undefined
    }
    return stored === NO_PEEK ? NO_PEEK : this.directHit(request, stored, now)
  }

  /** `peekHit` for any backend (`get`, so the page is a copy); `NO_PEEK` as there, bar the backend. */
  async lookupHit(request: KeyRequest, conditional: boolean): Promise<PageLookup> {
    if (!this.directHits || (conditional && this.options.conditional !== false)) return NO_PEEK
    let stored: StoredResponse | undefined
    try {
      stored = await lookupPage(this.cache(), request, request.method, this.options)
    } catch (error) {
      this.fail(error)
      return undefined
    }
    return this.directHit(request, stored, this.now())
  }

  private directHit(request: KeyRequest, stored: StoredResponse | undefined, now: number): PageLookup {
    if (stored === undefined) return undefined
    // A stale page needs core's refresh claim (rule 16), which only the full path takes.
    if (isStalePage(stored, now)) return NO_PEEK
    this.hitAt = now
    this.report(request, 'hit', stored.status)
    return stored
  }

  /** Rule 20: the request's host is well formed and allowed (an adapter's bound view was checked by it). */
  private hostOk(request: Request): boolean {
    return boundView(request) !== undefined || isAcceptableRequestHost(request, this.options.allowedHosts)
  }

  private finish(request: Request, response: Response): Response {
    const safe = request.method === 'GET' || request.method === 'HEAD'
    return this.options.conditional === false || !safe ? response : conditionalResponse(request, response)
  }

  /**
   * The first half (Django's `FetchFromCacheMiddleware.process_request`): the cached response
   * for a GET/HEAD request, with `Age`, or `undefined` on a miss (then call the handler and
   * `updateCache`). A cache failure is a miss.
   */
  async fetchFromCache(request: Request): Promise<Response | undefined> {
    if (this.shared) return this.hostOk(request) ? sharedFetchHalf(this.shared, request) : badHostResponse()
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      updateFlag.set(request, false)
      return undefined
    }
    if (!this.hostOk(request)) {
      updateFlag.set(request, false)
      return badHostResponse()
    }
    let stored: StoredResponse | undefined
    try {
      stored = await this.lookup(request)
      if (stored && isStalePage(stored, this.now())) stored = await this.staleOrRefresh(request, stored)
    } catch (error) {
      this.fail(error)
    }
    if (!stored) {
      updateFlag.set(request, true)
      this.report(request, 'miss')
      return undefined
    }
    updateFlag.set(request, false)
    this.report(request, 'hit', stored.status)
    const response = responseFrom(stored, request.method !== 'HEAD')
    // RFC 9111 §4.2.3: the age the origin gave plus the time spent in this cache.
    const upstream = Number.parseInt(response.headers.get('age') ?? '0', 10) || 0
    const resident = Math.max(0, Math.floor((this.now() - stored.storedAt) / 1000))
    response.headers.set('age', String(upstream + resident))
    // A HEAD answered from a stored GET announces the GET's length (RFC 9110 §9.3.2).
    if (request.method === 'HEAD' && stored.body.byteLength > 0 && !response.headers.has('content-length'))
      response.headers.set('content-length', String(stored.body.byteLength))
    const out = this.finish(request, response)
    fromCache.add(out)
    return out
  }

  /**
   * The second half (Django's `UpdateCacheMiddleware.process_response`): patch the caching
   * headers and store the response when the rules allow, then return the response to send.
   */
  async updateCache(request: Request, response: Response): Promise<Response> {
    if (this.shared) return sharedUpdateHalf(this.shared, request, response)
    try {
      return (await this.update(request, response)).response
    } finally {
      await this.endRefresh(request)
    }
  }

  /**
   * A stale page (rule 16, RFC 5861 §3): the first request per URL claims its refresh and gets
   * a miss (it re-renders, the stale page kept as its stale-if-error fallback); the others are
   * served the stale page while its stale-while-revalidate window lasts, and miss after it.
   */
  private async staleOrRefresh(request: Request, stale: StoredResponse & StalePageFields) {
    const now = this.now()
    const release = await this.claims.claim(
      this.cache(),
      cacheHeaderKey(request, this.options),
      this.options,
      now,
    )
    if (release) {
      // Another process may have re-rendered it and released its claim just now: look again.
      const again = await this.lookup(request)
      if (again && !isStalePage(again, this.now())) {
        await release()
        return again
      }
      this.refreshes.set(request, { release, stale })
      return undefined
    }
    return (stale.swrUntil ?? 0) > now ? stale : undefined
  }

  private async endRefresh(request: Request): Promise<void> {
    const r = this.refreshes.get(request)
    if (!r) return
    this.refreshes.delete(request)
    await r.release()
  }

  /** RFC 5861 §4: the claimer's stale page, when its re-render failed inside stale-if-error. */
  private staleOnError(request: Request): Response | undefined {
    const stale = this.refreshes.get(request)?.stale
    if (!stale || (stale.sieUntil ?? 0) <= this.now()) return undefined
    updateFlag.set(request, false)
    this.report(request, 'hit', stale.status)
    const out = this.finish(request, responseFrom(stale, request.method !== 'HEAD'))
    fromCache.add(out)
    return out
  }

  /**
   * Rule 16 for a cold page with `lock: 'distributed'`: take the URL's lease, or wait (polling,
   * bounded by `flightWaitMs`) for the holder's page; a lease that runs out is taken over.
   */
  private async coldLease(request: Request): Promise<Response | Release> {
    const key = cacheHeaderKey(request, this.options)
    const giveUpAt = Date.now() + (this.options.flightWaitMs ?? DEFAULT_FLIGHT_WAIT_MS)
    for (let attempt = 0; ; attempt++) {
      const release = await takePageLease(this.cache(), key, this.options)
      if (release) {
        // The previous holder may have stored the page and released just now: look once more.
        const stored = await this.fetchFromCache(request)
        if (!stored) return release
        await release()
        return stored
      }
      if (Date.now() >= giveUpAt) return async () => {}
      await new Promise((r) => setTimeout(r, pagePollMs(attempt)))
      const hit = await this.fetchFromCache(request)
      if (hit) return hit
    }
  }

  /** The second half for one response: step 1 here (may this request store?), then page-store.ts. */
  private async update(
    request: Request,
    response: Response,
  ): Promise<{ response: Response; outcome: Outcome }> {
    const safe = request.method === 'GET' || request.method === 'HEAD'
    // Step 1: a hit, or a request the first half said not to store.
    if (fromCache.has(response) || !(updateFlag.get(request) ?? safe) || !this.hostOk(request))
      return { response, outcome: {} }
    return storeHalf(this.storing, request, response)
  }

  /**
   * Serve `request` from the cache, or run `handler` and store its response by the rules
   * (both halves in one call). Concurrent misses for one page share one handler run. `shared`:
   * how shared mode may repeat the handler for background revalidation (ignored in Django mode).
   */
  async handle(request: Request, handler: NextHandler, shared?: SharedHandleOptions): Promise<Response> {
    if (!this.hostOk(request)) return badHostResponse()
    if (this.shared) return this.shared.handle(request, (r) => this.run(r, handler), shared)
    const hit = await this.fetchFromCache(request)
    if (hit) return hit
    const safe = request.method === 'GET' || request.method === 'HEAD'
    if (!safe || this.options.singleFlight === false) {
      return this.updateCache(request, await this.run(request, handler))
    }
    const flightKey = `${request.method} ${cacheHeaderKey(request, this.options)}`
    const leader = this.flights.get(flightKey)
    if (leader) {
      // Bounded: past `flightWaitMs` the waiter runs the handler itself (an empty outcome).
      const outcome = await settleWithin(leader, this.options.flightWaitMs ?? DEFAULT_FLIGHT_WAIT_MS, {})
      // Share only a stored response whose key this request would also have used: another
      // variant (Vary) or an uncacheable response (cookies, private) is never handed over.
      if (outcome.stored && outcome.key !== undefined && outcome.headerList !== undefined) {
        if (pageCacheKey(request, request.method, outcome.headerList, this.options) === outcome.key) {
          updateFlag.set(request, false)
          const out = this.finish(request, responseFrom(outcome.stored, request.method !== 'HEAD'))
          fromCache.add(out)
          return out
        }
      }
      // The leader may have found the page another process rendered (rule 16): look again.
      if (this.options.lock === 'distributed') {
        const again = await this.fetchFromCache(request)
        if (again) return again
      }
      return this.updateCache(request, await this.run(request, handler))
    }
    let settle: (o: Outcome) => void = () => {}
    this.flights.set(
      flightKey,
      new Promise<Outcome>((resolve) => {
        settle = resolve
      }),
    )
    let outcome: Outcome = {}
    let lease: Release | undefined
    try {
      if (this.options.lock === 'distributed' && !this.refreshes.has(request)) {
        const got = await this.coldLease(request)
        if (got instanceof Response) return got
        lease = got
      }
      let response: Response
      try {
        response = await this.run(request, handler)
      } catch (error) {
        const stale = this.staleOnError(request)
        if (stale) return stale
        throw error
      }
      if (isErrorStatus(response.status)) {
        const stale = this.staleOnError(request)
        if (stale) return stale
      }
      const result = await this.update(request, response)
      outcome = result.outcome
      return result.response
    } finally {
      await lease?.()
      await this.endRefresh(request)
      this.flights.delete(flightKey)
      settle(outcome)
    }
  }
}
