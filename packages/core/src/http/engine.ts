/**
 * The response-cache engine: Django 6.1's `FetchFromCacheMiddleware` and
 * `UpdateCacheMiddleware` (django/middleware/cache.py) on Fetch API objects, with the 2026
 * security rules, plus conditional GET, `Age` on hits, single-flight misses, a body size limit
 * and "an unavailable cache is a miss".
 */
import { NO_PEEK } from '../peek.ts'
import { resolveCache } from '../registry.ts'
import type { Cache } from '../types.ts'
import { mutableResponse, readBody, responseFrom, type StoredResponse, storeResponse } from './body.ts'
import { cacheControlNames, getMaxAge } from './cache-control.ts'
import { settleWithin } from './flight-bound.ts'
import { badHostResponse, isAcceptableRequestHost } from './hosts.ts'
import { conditionalResponse } from './conditional.ts'
import { DEFAULT_CACHE_SECONDS, hasVaryHeader, patchResponseHeaders, patchVaryHeaders } from './headers.ts'
import {
  absoluteUri,
  cacheHeaderKey,
  type KeyOptions,
  type KeyRequest,
  learnCacheKey,
  pageCacheKey,
  varyHeaderList,
} from './keys.ts'
import { lookupPage, type PageLookup, peekPage } from './page-hit.ts'
import { type NotStoredReason, type PageCacheReport, pageCacheReporting, reportPageCache } from './report.ts'
import {
  isErrorStatus,
  isStalePage,
  type PageStampedeOptions,
  pagePollMs,
  RefreshClaims,
  type Release,
  type StalePageFields,
  staleWindows,
  takePageLease,
} from './page-stampede.ts'
import { boundView } from './request-view.ts'
import { type PageTags, pageTags, type TagHeader, writeTagHeader } from './page-tags.ts'
import { type SharedResponseCache, sharedEngine, sharedFetchHalf, sharedUpdateHalf } from './shared-mode.ts'
import type { SharedHandleOptions } from './shared-cache.ts'

/** Options of the response cache (Django's `CACHE_MIDDLEWARE_*` settings and ours). */
export interface ResponseCacheOptions extends KeyOptions, PageStampedeOptions {
  /** Django's `cache_timeout` (`CACHE_MIDDLEWARE_SECONDS`): used when the response has no `max-age`. Default 600. */
  cacheTimeout?: number
  /** `cache_page`'s timeout: beats `max-age` when set (Django 3.1+). Default: none. */
  pageTimeout?: number | null
  /** Larger bodies are served but not stored. Default 5 MiB. */
  maxBodyBytes?: number
  /**
   * A body still arriving after this many ms is streamed to the client while it is read for
   * the cache (in-memory bodies always end sooner). Default 50.
   */
  streamAfterMs?: number
  /** Answer `If-None-Match`/`If-Modified-Since` with `304` (and failed `If-Match` with `412`). Default true. */
  conditional?: boolean
  /** Concurrent misses for one page run the handler once. Default true. */
  singleFlight?: boolean
  /**
   * How long a request waits on another request's run of the same page (single-flight) before
   * it runs the handler itself, so a handler that never finishes holds nobody else. Default
   * 10000 ms.
   */
  flightWaitMs?: number
  /**
   * Django's `ALLOWED_HOSTS`: the hosts this site answers for (`'*'` any, `'.example.com'` the
   * domain and its subdomains, else exact). A malformed or unlisted host is answered `400` and
   * never reaches the cache (docs/contract.md rule 20). Default: any well-formed host.
   */
  allowedHosts?: readonly string[]
  /** Called when the cache fails (the page is then served uncached). Default: ignore. */
  onError?: (error: unknown) => void
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
  /**
   * `'django'` (Django's middleware rules, the default) or `'shared'`: an RFC 9111 shared cache
   * (shared-cache.ts, docs/contract.md §3b; `pageTimeout` becomes its `defaultTtl`).
   */
  mode?: 'django' | 'shared'
  /**
   * Tags stored with each page (a list, or a function of the request), so `invalidateTags`
   * drops them (docs/contract.md rule 17; page-tags.ts). Default: none.
   */
  tags?: PageTags
  /** Also send the tags to a CDN in this response header. Default `false`. */
  tagHeader?: TagHeader
}

/** A handler the engine runs on a miss. */
export type NextHandler = (request: Request) => Response | Promise<Response>

/** 10 s: the default `flightWaitMs`. */
export const DEFAULT_FLIGHT_WAIT_MS = 10_000

/** 5 MiB: the default `maxBodyBytes`. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024

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

/** What a miss produced, for the requests that waited on it. */
interface Outcome {
  stored?: StoredResponse
  key?: string
  headerList?: string[]
}

const PRIVATE = ['private', 'no-cache', 'no-store']

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
  private readonly flights = new Map<string, Promise<Outcome>>()
  /** Rule 16 for pages (page-stampede.ts): refresh claims, and each claimer's stale page. */
  private readonly claims = new RefreshClaims()
  private readonly refreshes = new WeakMap<
    Request,
    { release: Release; stale: StoredResponse & StalePageFields }
  >()

  /** Build an engine; see `ResponseCacheOptions` for the defaults. */
  constructor(options: ResponseCacheOptions = {}) {
    for (const name of [
      'cacheTimeout',
      'pageTimeout',
      'maxBodyBytes',
      'streamAfterMs',
      'flightWaitMs',
    ] as const) {
      const v = options[name]
      if (v !== undefined && v !== null && (typeof v !== 'number' || Number.isNaN(v))) {
        throw new TypeError(`Response cache option '${name}' must be a number, got ${JSON.stringify(v)}`)
      }
    }
    this.options = { ...options }
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

  /** A response the rules keep out of the cache: reported with its reason, then finished. */
  private skip(
    request: Request,
    response: Response,
    reason: NotStoredReason,
  ): { response: Response; outcome: Outcome } {
    this.report(request, 'not-stored', response.status, reason)
    return { response: this.finish(request, response), outcome: {} }
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
    let stored: PageLookup
    try {
      stored = peekPage(this.cache(), request, request.method, this.options)
    } catch (error) {
      this.fail(error)
      return undefined
    }
    return stored === NO_PEEK ? NO_PEEK : this.directHit(request, stored)
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
    return this.directHit(request, stored)
  }

  private directHit(request: KeyRequest, stored: StoredResponse | undefined): PageLookup {
    if (stored === undefined) return undefined
    // A stale page needs core's refresh claim (rule 16), which only the full path takes.
    if (isStalePage(stored, this.now())) return NO_PEEK
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

  private async update(
    request: Request,
    response: Response,
  ): Promise<{ response: Response; outcome: Outcome }> {
    const none = { response, outcome: {} }
    const safe = request.method === 'GET' || request.method === 'HEAD'
    // Step 1: a hit, or a request the first half said not to store.
    if (fromCache.has(response) || !(updateFlag.get(request) ?? safe) || !this.hostOk(request)) return none
    // Step 2: only 200 and 304 get headers; only 200 is stored.
    if (response.status !== 200 && response.status !== 304) return this.skip(request, response, 'status')
    const names = cacheControlNames(response)
    // Step 3: Django skips a cookie set while varying on Cookie; cachework never stores a
    // response that sets a cookie, so a shared entry cannot hand one visitor's session to
    // another (docs/contract.md rule 20).
    if (response.headers.has('set-cookie')) return this.skip(request, response, 'set-cookie')
    // Step 4: private, no-cache or no-store in any case, qualified forms included.
    const privacy = PRIVATE.find((d) => names.has(d))
    if (privacy) return this.skip(request, response, privacy as NotStoredReason)
    // Step 5: Vary: * can never be matched.
    if (hasVaryHeader(response, '*')) return this.skip(request, response, 'vary-star')
    // Step 6: the page timeout beats max-age; max-age=0 means "don't cache".
    let timeout = this.options.pageTimeout ?? undefined
    if (timeout === undefined) {
      const maxAge = getMaxAge(response)
      if (maxAge === 0) return this.skip(request, response, 'max-age-0')
      timeout = maxAge ?? this.options.cacheTimeout ?? DEFAULT_CACHE_SECONDS
    }
    let res = mutableResponse(response)
    const now = this.now()
    // Step 7: Expires and max-age, 304s included.
    patchResponseHeaders(res, timeout, now)
    const tags = pageTags(this.options.tags, request)
    writeTagHeader(res.headers, this.options.tagHeader, tags)
    // Step 8: a response to an authorized request differs per credentials unless it is public.
    if (request.headers.has('authorization') && !names.has('public')) patchVaryHeaders(res, ['Authorization'])
    // Step 9: store a 200 with a truthy timeout (a negative one stores an expired entry, as Django).
    const outcome: Outcome = {}
    if (timeout !== 0 && res.status === 200) {
      const body = await readBody(
        res,
        this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        this.options.streamAfterMs,
      )
      if (body.kind === 'passthrough') {
        res = body.response
        this.report(request, 'not-stored', res.status, 'size')
      } else if (body.kind === 'streaming') {
        // Still arriving: the client gets it as it comes; it is stored if it ends within the
        // limit. Waiters run their own handler rather than wait on a stream of unknown length.
        res = body.response
        const sent = res
        void body.done
          .then((bytes) =>
            bytes
              ? this.store(
                  request,
                  storeResponse(sent, bytes, now),
                  timeout,
                  tags,
                  staleWindows(sent, this.options),
                )
              : undefined,
          )
          .catch((error: unknown) => this.fail(error))
      } else {
        const stored = storeResponse(res, body.bytes, now)
        res = responseFrom(stored, true)
        if (timeout > 0) {
          // The response passed every rule, so waiters may share it even if storing fails.
          outcome.stored = stored
          outcome.headerList = varyHeaderList(res, this.options)
          outcome.key = pageCacheKey(request, request.method, outcome.headerList, this.options)
        }
        await this.store(request, stored, timeout, tags, staleWindows(res, this.options))
      }
    }
    if (timeout === 0 || res.status !== 200)
      this.report(request, 'not-stored', res.status, res.status === 200 ? 'timeout-0' : 'status')
    return { response: this.finish(request, res), outcome }
  }

  /** Learn the URL's header list and store the page (Django §4.2 step 9); failures are misses. */
  private async store(
    request: Request,
    stored: StoredResponse,
    timeout: number,
    tags: readonly string[],
    windows: { swr: number; sie: number } = { swr: 0, sie: 0 },
  ): Promise<void> {
    try {
      const headers = new Headers()
      for (const [name, value] of stored.headers) headers.append(name, value)
      // Rule 16: a page with a stale window is kept through it; its fields say when it goes stale.
      const extra = Math.max(windows.swr, windows.sie)
      const kept = timeout > 0 ? timeout + extra : timeout
      const key = await learnCacheKey(request, { headers }, { ...this.options, timeout: kept })
      const page: StoredResponse & StalePageFields = {
        ...stored,
        url: absoluteUri(request),
        method: request.method,
      }
      if (extra > 0 && timeout > 0) {
        page.freshUntil = stored.storedAt + timeout * 1000
        page.swrUntil = page.freshUntil + windows.swr * 1000
        page.sieUntil = page.freshUntil + windows.sie * 1000
      }
      // The URL and method travel with the page so inspectors can name its hashed key.
      await this.cache().set(key, page, kept, tags.length > 0 ? { tags } : undefined)
      this.report(request, 'store', stored.status)
    } catch (error) {
      this.fail(error)
      this.report(request, 'not-stored', stored.status, 'error')
    }
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
