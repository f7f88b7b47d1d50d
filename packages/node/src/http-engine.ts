/**
 * Core's response-cache engine driven from node:http. A miss goes through core
 * (`ResponseCache.handle`: Django 6.1's storing rules, single-flight); a hit is answered here,
 * straight from the stored page to the socket, with keys computed by core's key functions from
 * a `RequestView` of the `IncomingMessage` (http-request.ts), so the hot path builds no Fetch
 * objects and both paths key alike (docs/contract.md rule 20).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { NO_PEEK } from '@cachework/core/backend'
import { DEFAULT_MAX_BODY_BYTES, ResponseCache, type ResponseCacheOptions } from '@cachework/core/http'
import { backgroundPair } from './http-background.ts'
import { captureResponse, writeNodeResponse } from './http-bridge.ts'
import { handleShared, sharedServeFromCache, sharedUpdate } from './http-shared.ts'
import {
  type NodeRequestView,
  nodeRequestView,
  type RequestTrustOptions,
  routedRequestView,
  routingOf,
} from './http-request.ts'
import { alreadySent, badHost, writeResponse, writeSharedResponse, writeStored } from './http-write.ts'

/** Django's `request._cache_update_cache`, shared by both halves (django/middleware/cache.py). */
// On the request itself (a symbol): a WeakMap entry per request costs every young-generation GC.
const UPDATE: unique symbol = Symbol('cachework.updateCache')
const updateFlag = {
  get: (req: IncomingMessage): boolean | undefined =>
    (req as IncomingMessage & { [UPDATE]?: boolean })[UPDATE],
  set: (req: IncomingMessage, v: boolean): void => {
    ;(req as IncomingMessage & { [UPDATE]?: boolean })[UPDATE] = v
  },
}

/** Mark whether the update half may store this request's response. */
export function setUpdateFlag(req: IncomingMessage, value: boolean): void {
  updateFlag.set(req, value)
}

/** The flag the fetch half left (`undefined` when no fetch half ran). */
export function getUpdateFlag(req: IncomingMessage): boolean | undefined {
  return updateFlag.get(req)
}

// Each request's view, built once (the hit path, core's store path and the two halves share it).
// Kept on the request itself: a WeakMap entry per request costs every young-generation GC (its
// ephemeron table lives in the old generation and points at short-lived requests). It records
// the trust options it was built with: a second page cache on the same request (a `cachePage`
// inside `cacheMiddleware`) with other `allowedHosts` or forwarded-header trust builds its own,
// so it keys, and answers a bad host, by its own settings (docs/contract.md rule 20).
const VIEW: unique symbol = Symbol('cachework.view')
interface KnownView {
  readonly trust: RequestTrustOptions
  /** `null`: the request must be answered 400 under `trust`. */
  readonly view: NodeRequestView | null
}
type WithView = IncomingMessage & { [VIEW]?: KnownView }

/** Whether two caches' trust options build the same view of every request. */
function sameTrust(a: RequestTrustOptions, b: RequestTrustOptions): boolean {
  return (
    a === b ||
    (a.allowedHosts === b.allowedHosts &&
      a.trustForwardedHost === b.trustForwardedHost &&
      a.trustForwardedProto === b.trustForwardedProto)
  )
}

/** Conditional request headers: those requests take core's path, which answers 304/412. */
function isConditional(req: IncomingMessage): boolean {
  const h = req.headers
  return (
    h['if-none-match'] !== undefined ||
    h['if-modified-since'] !== undefined ||
    h['if-match'] !== undefined ||
    h['if-unmodified-since'] !== undefined
  )
}

/**
 * Node options on top of core's: the buffered body limit doubles as the streaming threshold;
 * the trust options say which proxy headers the keys follow (http-request.ts).
 */
export type NodeCacheOptions = ResponseCacheOptions & RequestTrustOptions

/** One configured page cache for Node handlers (what `cacheMiddleware`/`cachePage` build). */
export class NodePageCache {
  readonly engine: ResponseCache
  private readonly bodyLimit: number
  private readonly trust: RequestTrustOptions

  constructor(options: NodeCacheOptions) {
    this.engine = new ResponseCache(options)
    this.bodyLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    this.trust = {
      allowedHosts: options.allowedHosts,
      trustForwardedHost: options.trustForwardedHost,
      trustForwardedProto: options.trustForwardedProto,
    }
  }

  /** The request as the app routes on it, or `undefined` when it must be answered 400. */
  private view(req: IncomingMessage): NodeRequestView | undefined {
    const known = this.knownView(req)
    if (known !== undefined) return known ?? undefined
    const v = nodeRequestView(req, this.trust)
    ;(req as WithView)[VIEW] = { trust: this.trust, view: v ?? null }
    return v
  }

  /** `knownView` read directly (`tryAnswerAs`'s `plain`). */
  private keptView(req: IncomingMessage): NodeRequestView | null | undefined {
    const known = (req as WithView)[VIEW]
    return known !== undefined && sameTrust(known.trust, this.trust) ? known.view : undefined
  }

  /** The view kept on `req` for this cache's trust options (`null`: a 400), `undefined` when none. */
  private knownView(req: IncomingMessage): NodeRequestView | null | undefined {
    // An own-property test: a missing symbol read walks the whole prototype chain, uncached on
    // Express's per-request hidden classes.
    if (!Object.hasOwn(req, VIEW)) return undefined
    const known = (req as WithView)[VIEW] as KnownView
    return sameTrust(known.trust, this.trust) ? known.view : undefined
  }

  /**
   * Answer a GET/HEAD from the cache synchronously when the backend can peek (core's
   * `peekHit`): true when served, false on a miss, `undefined` when only the async path can
   * tell (another backend, a conditional request, a stale page, i18n/time-zone keys).
   */
  private serveSync(req: IncomingMessage, res: ServerResponse, view: NodeRequestView): boolean | undefined {
    const stored = this.engine.peekHit(view, isConditional(req))
    if (stored === NO_PEEK) return undefined
    if (stored === undefined) return false
    writeStored(res, stored, this.engine.hitAt, true)
    return true
  }

  /**
   * `handle`'s synchronous start, for an adapter that sets up the view's callbacks only when
   * the view may run (Express, Connect, node:http, Koa): true when `req` was answered (a hit
   * from a backend that can peek, or a bad host's 400), false on a known miss, `undefined` when
   * only `handle` can tell (shared mode, another method, another backend, a conditional
   * request, a stale page). Then `handleUnanswered` goes on from what it found.
   */
  tryAnswer(req: IncomingMessage, res: ServerResponse): boolean | undefined {
    return this.tryAnswerAs(req, res, false)
  }

  /**
   * `tryAnswer`; `plain`: `req` is of one hidden class with the requests before it (node:http's,
   * Fastify's), so what is kept on it is read directly, as a cached miss, where an own-property
   * test (for Express's per-request classes) costs a search of the object every time. The two
   * read the same: these symbols are this module's and never on a prototype.
   */
  private tryAnswerAs(req: IncomingMessage, res: ServerResponse, plain: boolean): boolean | undefined {
    if (this.engine.shared || (req.method !== 'GET' && req.method !== 'HEAD')) return undefined
    const known = plain ? this.keptView(req) : this.knownView(req)
    if (known !== undefined) {
      if (known === null) {
        badHost(res)
        return true
      }
      return this.serveSync(req, res, known)
    }
    const rv = plain ? routedRequestView(req, this.trust, routingOf(req)) : nodeRequestView(req, this.trust)
    if (rv === undefined) {
      badHost(res)
      return true
    }
    const served = this.serveSync(req, res, rv)
    // Kept on the request only when the view may run: nothing reads it after a hit, and under
    // Express (whose requests get a new hidden class each, from its setPrototypeOf) adding a
    // property makes a new one again on every request.
    if (served !== true) (req as WithView)[VIEW] = { trust: this.trust, view: rv }
    return served
  }

  /** `tryAnswer`, true when `req` was answered, else false (then call `handle`). */
  answerNow(req: IncomingMessage, res: ServerResponse): boolean {
    return this.tryAnswerAs(req, res, false) === true
  }

  /** `answerNow` for requests of one hidden class (Fastify's raw requests): see `tryAnswerAs`. */
  answerPlain(req: IncomingMessage, res: ServerResponse): boolean {
    return this.tryAnswerAs(req, res, true) === true
  }

  /**
   * `handle` for a request `tryAnswer` did not answer (`tried` is what it returned): a known
   * miss is not looked up again.
   */
  handleUnanswered(
    req: IncomingMessage,
    res: ServerResponse,
    view: () => void,
    background: ((req: IncomingMessage, res: ServerResponse) => void) | undefined,
    tried: false | undefined,
  ): Promise<void> | undefined {
    if (this.engine.shared || (req.method !== 'GET' && req.method !== 'HEAD'))
      return this.handle(req, res, view, background)
    const rv = this.view(req)
    if (rv === undefined) {
      badHost(res)
      return undefined
    }
    return this.handleAsync(req, res, view, rv, tried === false)
  }

  /**
   * The fetch half: answer `req` from the cache and return true, or return false on a miss
   * (then `updateFlag` says whether the update half may store). A failing cache is a miss.
   */
  async serveFromCache(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (this.engine.shared) {
      if (this.view(req) === undefined) {
        badHost(res)
        return true
      }
      return sharedServeFromCache(this.engine.shared, req, (r) => writeResponse(res, r))
    }
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      updateFlag.set(req, false)
      return false
    }
    const view = this.view(req)
    if (view === undefined) {
      // Rule 20: a bad host is answered here and never reaches the cache or the view.
      updateFlag.set(req, false)
      badHost(res)
      return true
    }
    const served = this.serveSync(req, res, view)
    if (served !== undefined) {
      updateFlag.set(req, !served)
      return served
    }
    return this.serveAsync(req, res, view)
  }

  /** `serveFromCache` for a GET/HEAD the synchronous path could not answer. */
  private async serveAsync(
    req: IncomingMessage,
    res: ServerResponse,
    view: NodeRequestView,
    coreDecides = false,
  ): Promise<boolean> {
    const stored = await this.engine.lookupHit(view, isConditional(req))
    if (stored === NO_PEEK) {
      // Core's full path: a conditional request, i18n keys, or a stale page (rule 16), where
      // core decides who re-renders; `handle` (`coreDecides`) lets core's `handle` do it.
      if (coreDecides) return false
      const hit = await this.engine.fetchFromCache(view.toRequest())
      updateFlag.set(req, hit === undefined)
      if (hit) await writeResponse(res, hit)
      return hit !== undefined
    }
    updateFlag.set(req, stored === undefined)
    if (stored === undefined) return false
    writeStored(res, stored, this.engine.now(), false)
    return true
  }

  /**
   * Run `view` with `res` captured and give core what it wrote, as a Fetch `Response`. A body
   * past the limit or flushed headers (SSE) stream straight out and are never stored.
   */
  private async runCaptured(res: ServerResponse, view: () => void): Promise<Response> {
    const captured = captureResponse(res, this.bodyLimit)
    view()
    const c = await captured
    if (c.streamed) {
      const sent = new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } })
      alreadySent.add(sent)
      return sent
    }
    if (c.status < 200 || c.status > 599) {
      // A Fetch Response cannot carry it; such a status is never cached anyway.
      writeNodeResponse(res, c.status, c.headers, c.body, c.statusText)
      const sent = new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } })
      alreadySent.add(sent)
      return sent
    }
    const nullBody = c.status === 204 || c.status === 304
    return new Response(nullBody ? null : c.body, {
      status: c.status,
      statusText: c.statusText,
      headers: c.headers,
    })
  }

  /**
   * Both halves in one (Django's `CacheMiddleware`): serve a hit, or run `view` (which writes
   * to `res`) through core's engine, with single-flight, and write what core returns. A hit from
   * a backend that can peek is written synchronously and returns `undefined` (no promise).
   * `background` runs the view on another request/response pair (shared mode revalidates in
   * the background with it; without it, in the foreground).
   */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    view: () => void,
    background?: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<void> | undefined {
    if (this.engine.shared) {
      // mode: 'shared' (http-shared.ts): every method goes through the RFC 9111 cache.
      if (this.view(req) === undefined) return void badHost(res)
      const again =
        background &&
        (async (forwarded: Request) => {
          const pair = backgroundPair(req, res, forwarded)
          const r = await this.runCaptured(pair.res, () => background(pair.req, pair.res))
          // What went to the pair's own response (a stream, a status Fetch cannot carry) is lost.
          return alreadySent.has(r) ? new Response(null, { status: 502, statusText: 'Bad Gateway' }) : r
        })
      return handleShared(
        this.engine.shared,
        req,
        () => this.runCaptured(res, view),
        (r) => writeSharedResponse(res, r),
        again,
      )
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      view()
      return undefined
    }
    const tried = this.tryAnswer(req, res)
    return tried === true ? undefined : this.handleUnanswered(req, res, view, background, tried)
  }

  private async handleAsync(
    req: IncomingMessage,
    res: ServerResponse,
    view: () => void,
    rv: NodeRequestView,
    knownMiss: boolean,
  ): Promise<void> {
    if (!knownMiss && (await this.serveAsync(req, res, rv, true))) return
    const request = rv.toRequest()
    const response = await this.engine.handle(request, () => this.runCaptured(res, view))
    await writeResponse(res, response)
  }

  /**
   * The update half alone (Django's `UpdateCacheMiddleware`): capture what the rest of the
   * chain writes and, when the fetch half marked the request, let core store it.
   */
  async update(req: IncomingMessage, res: ServerResponse, rest: () => void): Promise<void> {
    const response = await this.runCaptured(res, rest)
    if (alreadySent.has(response)) return
    if (this.engine.shared) {
      await writeSharedResponse(res, await sharedUpdate(this.engine.shared, req, response))
      return
    }
    const view = this.view(req)
    if (getUpdateFlag(req) !== true || view === undefined) {
      await writeResponse(res, response)
      return
    }
    await writeResponse(res, await this.engine.updateCache(view.toRequest(), response))
  }
}
