/**
 * Django's per-site and per-view caching for node:http, Connect and Express (django/middleware/cache.py,
 * django/views/decorators/cache.py): `cacheMiddleware`, `cachePage`, `cacheControl`, `neverCache`, `varyOnHeaders`,
 * `varyOnCookie`, and the two halves `updateCacheMiddleware`/`fetchFromCacheMiddleware`. Same
 * names as core's Fetch-style wrappers; these take `(req, res, next)` handlers. Each works as a
 * decorator (`cachePage(900)(view)`) and as middleware placed before the view
 * (`app.get('/x', cachePage(900), view)`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CacheControlDirectives, CacheMiddlewareOptions, CachePageOptions } from '@cachework/core/http'
import { appRerun, isOwnRun } from './http-background.ts'
import type { NextFunction } from './http-bridge.ts'
import type { NodePageCache } from './http-engine.ts'
import { beforeHeaders, patchNodeHeaders } from './http-hooks.ts'
import type { RequestTrustOptions } from './http-request.ts'
import { headerWrappers, sitePageCache, viewPageCache } from './http-wrappers.ts'

export {
  absoluteUrl,
  captureResponse,
  type NextFunction,
  type NodeHandler,
  toFetchRequest,
} from './http-bridge.ts'
export { NodePageCache, type NodeCacheOptions } from './http-engine.ts'
export { fetchHeaderValue, nodeRequestView, type RequestTrustOptions } from './http-request.ts'

/** `cacheMiddleware`'s options: core's, plus which proxy headers to trust (http-request.ts). */
export type NodeCacheMiddlewareOptions = CacheMiddlewareOptions & RequestTrustOptions

/** `cachePage`'s options: core's, plus which proxy headers to trust (http-request.ts). */
export type NodeCachePageOptions = CachePageOptions & RequestTrustOptions

// biome-ignore lint/suspicious/noExplicitAny: handlers of any framework (Express's Request/Response types included).
type AnyHandler = (req: any, res: any, next?: any) => unknown

/**
 * A wrapper usable two ways: around a handler (`wrapper(view)` returns a handler of the same
 * type) or as `(req, res, next)` middleware placed before the view.
 */
export interface NodeDecorator {
  /** Around a plain node:http handler (its parameters are typed from here). */
  (
    handler: (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => unknown,
  ): (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => unknown
  /** Around a framework handler (Express, Connect): the wrapped handler keeps its type. */
  <H extends AnyHandler>(handler: H): H
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void
}

/**
 * What a wrapper does with one request: `run` runs the wrapped view (or `next`); `runOn`, given
 * only around a handler, runs it on another request/response pair (shared mode's background
 * revalidation).
 */
export type Apply = (
  req: IncomingMessage,
  res: ServerResponse,
  run: () => unknown,
  next: NextFunction | undefined,
  runOn?: (req: IncomingMessage, res: ServerResponse) => unknown,
) => unknown

// A background run's view called `next`: nothing after it may answer, so it ends here.
function runFailed(res: ServerResponse, err: unknown): void {
  res.statusCode = err === undefined ? 404 : 500
  res.end()
}

// With no `next` (a bare node:http server) there is nothing after the middleware to answer.
function noView(res: ServerResponse): void {
  res.statusCode = 404
  res.end()
}

/** What a wrapper does with one request: `handler` is the wrapped handler, `undefined` as middleware. */
type OnRequest = (
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction | undefined,
  handler: AnyHandler | undefined,
) => unknown

/** The two ways a wrapper is used (around a handler, or as middleware), both to `onRequest`. */
function wrapper(onRequest: OnRequest): NodeDecorator {
  return function cacheworkWrapper(a: unknown, b?: unknown, c?: unknown): unknown {
    if (typeof a === 'function') {
      const handler = a as AnyHandler
      return function wrapped(req: IncomingMessage, res: ServerResponse, next?: NextFunction) {
        return onRequest(req, res, next, handler)
      }
    }
    return onRequest(a as IncomingMessage, b as ServerResponse, c as NextFunction | undefined, undefined)
  } as NodeDecorator
}

/** `Apply`'s `run`: the wrapped handler, else `next` (else a 404: nothing follows). */
function runOf(
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction | undefined,
  handler: AnyHandler | undefined,
): () => unknown {
  if (handler) return () => handler(req, res, next)
  return () => (next ? next() : noView(res))
}

/** `Apply`'s `runOn`: only around a handler, which then runs on a pair of its own. */
function runOnOf(handler: AnyHandler | undefined): Parameters<Apply>[4] {
  return handler && ((r, s) => handler(r, s, (err?: unknown) => runFailed(s, err)))
}

/** Build a `NodeDecorator` (usable around a handler and as middleware) from what it does per request. */
export function decorator(apply: Apply): NodeDecorator {
  return wrapper((req, res, next, handler) =>
    apply(req, res, runOf(req, res, next, handler), next, runOnOf(handler)),
  )
}

/**
 * Run the view; a throw or a rejected promise goes to `next(err)` (Express/Connect error
 * handling) or becomes a bare 500, while the response is still captured, so the error page
 * flows through the cache's rules (and is never stored: only 200s are).
 */
function runView(run: () => unknown, res: ServerResponse, next: NextFunction | undefined): void {
  const fail = (err: unknown): void => {
    if (next) next(err)
    else {
      res.statusCode = 500
      res.end()
    }
  }
  try {
    const r = run() as { then?: unknown } | undefined
    if (r && typeof r.then === 'function') (r as Promise<unknown>).then(undefined, fail)
  } catch (err) {
    fail(err)
  }
}

// A failure of the cache machinery itself (not of the view): answer 500 if nothing was sent.
function machineryFailed(err: unknown, res: ServerResponse, next: NextFunction | undefined): void {
  if (next) next(err)
  else if (!res.headersSent) {
    res.statusCode = 500
    res.end()
  }
}

function cachingDecorator(page: NodePageCache): NodeDecorator {
  return wrapper((req, res, next, handler) => {
    // A background run this cache sent through the whole app (http-background.ts) goes on to the view.
    if (isOwnRun(req, page)) return runOf(req, res, next, handler)()
    try {
      // A hit from a backend that can peek is answered here, synchronously, before any closure
      // for the view is made (a hit never needs one).
      const tried = page.tryAnswer(req, res)
      if (tried === true) return undefined
      // Shared mode revalidates in the background: a wrapped view runs on a pair of its own;
      // before the view (`next` runs once per request), the whole app runs again on it.
      const rerun = runOnOf(handler) ?? (page.engine.shared ? appRerun(req, page) : undefined)
      const again =
        rerun && ((r: IncomingMessage, s: ServerResponse) => runView(() => rerun(r, s), s, undefined))
      const run = runOf(req, res, next, handler)
      return page
        .handleUnanswered(req, res, () => runView(run, res, next), again, tried)
        ?.catch((err) => machineryFailed(err, res, next))
    } catch (err) {
      machineryFailed(err, res, next)
      return undefined
    }
  })
}

/**
 * Cache the whole site (Django's `CacheMiddleware`): `app.use(cacheMiddleware({ seconds: 600 }))`,
 * or `http.createServer(cacheMiddleware()(handler))`. GET/HEAD 200 responses are stored for their
 * `max-age`, else `seconds` (600), in `alias` (`'default'`) under `keyPrefix` (`''`), by core's
 * rules (docs/contract.md §3); a hit is written straight to the socket with `Age`.
 */
export function cacheMiddleware(options: NodeCacheMiddlewareOptions = {}): NodeDecorator {
  return cachingDecorator(sitePageCache(options))
}

/**
 * Cache one view for `timeout` seconds, which beats the response's `max-age` (Django's
 * `cache_page`; `null` uses `max-age`, else 600): `cachePage(900)(view)` or
 * `app.get('/x', cachePage(900), view)`. Alias `'default'` and key prefix `''` unless given.
 */
export function cachePage(timeout: number | null, options: NodeCachePageOptions = {}): NodeDecorator {
  return cachingDecorator(viewPageCache(timeout, options))
}

/**
 * The update half of Django's two-ended per-site cache (`UpdateCacheMiddleware`): place it
 * FIRST, so it sees the response last, after every middleware that adds to `Vary` (sessions →
 * Cookie, compression → Accept-Encoding, locale → Accept-Language) and the learned header list
 * is complete (django/middleware/cache.py). It stores only what `fetchFromCacheMiddleware` marked.
 */
export function updateCacheMiddleware(
  options: NodeCacheMiddlewareOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  const page = sitePageCache(options)
  return (req, res, next) => {
    // Shared mode also sees unsafe methods (their success invalidates stored responses, RFC 9111 §4.4).
    if (!page.engine.shared && req.method !== 'GET' && req.method !== 'HEAD') return next()
    page.update(req, res, () => next()).catch((err) => machineryFailed(err, res, next))
  }
}

/**
 * The fetch half (`FetchFromCacheMiddleware`): place it LAST, just before the views, after the
 * middleware that affects the key (e.g. a locale middleware), so the lookup sees the request as
 * the views will (django/middleware/cache.py). A hit is answered here; a miss goes on to the view.
 */
export function fetchFromCacheMiddleware(
  options: NodeCacheMiddlewareOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  const page = sitePageCache(options)
  return (req, res, next) => {
    page.serveFromCache(req, res).then(
      (hit) => {
        if (!hit) next()
      },
      (err) => machineryFailed(err, res, next),
    )
  }
}

/** A decorator that patches the response's cache headers just before they are sent. */
function headerDecorator(patch: (h: Headers) => void): NodeDecorator {
  return decorator((_req, res, run) => {
    beforeHeaders(res, (r) => patchNodeHeaders(r, patch))
    return run()
  })
}

const wrappers = headerWrappers(headerDecorator)

/**
 * Patch `Cache-Control` with `directives` after the view (Django's `cache_control`), e.g.
 * `cacheControl({ maxAge: 3600, public: true })(view)` or as middleware before the view.
 */
export const cacheControl: (directives: CacheControlDirectives) => NodeDecorator = wrappers.cacheControl

/**
 * Mark the response never cacheable after the view (Django's `never_cache`): `Cache-Control:
 * max-age=0, no-cache, no-store, must-revalidate, private` and `Expires` now. `neverCache(view)`
 * or `app.get('/x', neverCache, view)`.
 */
export const neverCache: NodeDecorator = wrappers.neverCache

/** Add `names` to `Vary` after the view (Django's `vary_on_headers`). */
export const varyOnHeaders: (...names: string[]) => NodeDecorator = wrappers.varyOnHeaders

/** Add `Cookie` to `Vary` after the view (Django's `vary_on_cookie`). */
export const varyOnCookie: NodeDecorator = wrappers.varyOnCookie
