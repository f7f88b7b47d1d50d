/**
 * Page caching for Koa 3 (`@cachework/node/koa`): Django's per-site and per-view caching as Koa
 * middleware, on the same engine as the Express adapter (`NodePageCache` over core's
 * `ResponseCache`), so the rules and the keys are the same (docs/contract.md §3).
 *
 * The middleware only translates. A hit is written straight to `ctx.res` and Koa is told not
 * to respond (`ctx.respond = false`); on a miss the rest of the chain runs, and what Koa's
 * `respond` then writes to `ctx.res` is captured and stored by the engine's rules. A stream
 * body (`ctx.body = readable`) passes through uncached.
 */
import type { TLSSocket } from 'node:tls'
import type { Context, Middleware, Next } from 'koa'
import type { CacheControlDirectives, CacheMiddlewareOptions, CachePageOptions } from '@cachework/core/http'
import { appRerun, isOwnRun } from './http-background.ts'
import { passThrough } from './http-bridge.ts'
import type { NodePageCache } from './http-engine.ts'
import { patchNodeHeaders } from './http-hooks.ts'
import { routeRequestAs } from './http-request.ts'
import { headerWrappers, sitePageCache, viewPageCache } from './http-wrappers.ts'

function isStream(body: unknown): boolean {
  const b = body as { pipe?: unknown; getReader?: unknown } | null | undefined
  return (
    typeof b === 'object' && b !== null && (typeof b.pipe === 'function' || typeof b.getReader === 'function')
  )
}

function cachingMiddleware(page: NodePageCache): Middleware {
  return function cacheworkKoa(ctx: Context, next: Next): Promise<void> | undefined {
    const method = ctx.req.method
    // Not cached, or a background revalidation this cache sent through the app (http-background.ts).
    if ((method !== 'GET' && method !== 'HEAD') || isOwnRun(ctx.req, page)) return next()
    routeAsKoa(ctx)
    // A hit is written to `ctx.res` now, with no promise to wait on; Koa must not respond.
    const tried = page.tryAnswer(ctx.req, ctx.res)
    if (tried === true) {
      ctx.respond = false
      return undefined
    }
    return handleKoa(page, ctx, next, tried)
  }
}

/**
 * Key on the host and scheme Koa gives the routes (its `app.proxy` applied). Without `proxy`,
 * over HTTP/1, those are the socket's scheme and the `Host` header (koa/lib/request.js `get
 * protocol`, `get host`), read here without the getters, which split and trim `Host` on every
 * request; Koa's reading of a Host with `,` or userinfo differs, but such a Host is a 400 either
 * way (http-request.ts checks the raw header first).
 */
function routeAsKoa(ctx: Context): void {
  const req = ctx.req
  if (ctx.app.proxy || req.httpVersionMajor >= 2) {
    routeRequestAs(req, ctx.protocol, ctx.host || undefined)
    return
  }
  const scheme = (req.socket as TLSSocket | null)?.encrypted ? 'https' : 'http'
  routeRequestAs(req, scheme, req.headers.host || undefined)
}

/** The rest of the middleware for what `tryAnswer` could not answer (`tried`): the engine's async path. */
async function handleKoa(
  page: NodePageCache,
  ctx: Context,
  next: Next,
  tried: false | undefined,
): Promise<void> {
  const res = ctx.res
  let downstream: Promise<unknown> | undefined
  // Wait until the engine either answered (a hit) or asked for the view (a miss).
  await new Promise<void>((resolve, reject) => {
    const view = (): void => {
      downstream = next()
      resolve()
    }
    const failed = (err: unknown): void => {
      if (downstream === undefined) reject(err)
      else if (!res.headersSent) {
        // The view ran but the machinery failed afterwards: nothing else will answer.
        res.statusCode = 500
        res.end()
      }
    }
    try {
      // Shared mode's stale-while-revalidate runs the app again in the background, through the server.
      const again = page.engine.shared ? appRerun(ctx.req, page, ctx.originalUrl) : undefined
      const pending = page.handleUnanswered(ctx.req, res, view, again, tried)
      if (pending === undefined) resolve()
      else pending.then(() => resolve(), failed)
    } catch (err) {
      failed(err)
    }
  })
  if (downstream === undefined) {
    ctx.respond = false // answered from the cache
    return
  }
  await downstream
  if (isStream(ctx.body)) passThrough(res)
}

/**
 * Cache the whole app (Django's `CacheMiddleware`): `app.use(cacheMiddleware({ seconds: 600 }))`
 * before the routes. GET/HEAD 200 responses are stored for their `max-age`, else `seconds`
 * (600), in `alias` (`'default'`) under `keyPrefix` (`''`); a hit carries `Age`.
 */
export function cacheMiddleware(options: CacheMiddlewareOptions = {}): Middleware {
  return cachingMiddleware(sitePageCache(options))
}

/**
 * Cache one route for `timeout` seconds, which beats the response's `max-age` (Django's
 * `cache_page`; `null` uses `max-age`, else 600): `router.get('/x', cachePage(900), view)`.
 * Alias `'default'` and key prefix `''` unless given.
 */
export function cachePage(timeout: number | null, options: CachePageOptions = {}): Middleware {
  return cachingMiddleware(viewPageCache(timeout, options))
}

/** Middleware that patches the response's cache headers after the rest of the chain. */
function headerMiddleware(patch: (h: Headers) => void): Middleware {
  return async function cacheworkHeaders(ctx: Context, next: Next): Promise<void> {
    await next()
    patchNodeHeaders(ctx.res, patch)
  }
}

const wrappers = headerWrappers(headerMiddleware)

/**
 * Django's `cache_control`: `router.get('/x', cachePage(60), cacheControl({ maxAge: 60 }), view)`.
 * Placed after `cachePage`, it patches before the response is stored, as a decorator inside
 * `cache_page` does.
 */
export const cacheControl: (directives: CacheControlDirectives) => Middleware = wrappers.cacheControl

/** Django's `never_cache`: `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`, `Expires` now. */
export const neverCache: Middleware = wrappers.neverCache

/** Django's `vary_on_headers`. */
export const varyOnHeaders: (...names: string[]) => Middleware = wrappers.varyOnHeaders

/** Django's `vary_on_cookie`. */
export const varyOnCookie: Middleware = wrappers.varyOnCookie

export {
  condition,
  etag,
  type KoaConditionOptions,
  type KoaValidatorFn,
  lastModified,
} from './koa-conditional.ts'
