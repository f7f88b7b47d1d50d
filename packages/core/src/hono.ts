/**
 * Page caching for Hono (`@cachework/core/hono`): Django's per-site and per-view caching as
 * Hono middleware, on core's Fetch engine (`ResponseCache`), so it runs wherever Hono does
 * (`@hono/node-server`, Bun, Deno, Workers) over any cachework store, with the same rules and
 * Django keys as every other adapter (docs/contract.md §3). Hono's own `cache()` needs the Web
 * Cache API, which Node lacks.
 *
 * It lives in core because core is the runtime-neutral package: it imports only Hono's *types*
 * (erased at build), so core keeps no runtime dependency and `hono` is an optional peer.
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import { honoHitPath } from './hono-app.ts'
import { mutableResponse } from './http/body.ts'
import { type CacheControlDirectives, patchCacheControl } from './http/cache-control.ts'
import { ResponseCache, type ResponseCacheOptions } from './http/engine.ts'
import type { ForwardedTrustOptions } from './http/forwarded.ts'
import { addNeverCacheHeaders, patchVaryHeaders } from './http/headers.ts'
import { adoptForwarded } from './http/shared-mode.ts'
import type { CacheMiddlewareOptions, CachePageOptions } from './http/wrappers.ts'

/**
 * Options of the Hono middleware: core's, plus which forwarded headers to key on. Hono has no
 * proxy setting of its own: an app behind a proxy that renders `X-Forwarded-Host` or
 * `X-Forwarded-Proto` must set the matching option, or its pages are keyed on the wrong host
 * (docs/security.md). Both default false.
 */
export type HonoCacheMiddlewareOptions = CacheMiddlewareOptions & ForwardedTrustOptions & HonoRevalidation

/** `cachePage`'s options for Hono: core's, plus the forwarded-header trust (default false). */
export type HonoCachePageOptions = CachePageOptions & ForwardedTrustOptions & HonoRevalidation

/** How shared mode re-runs the app for background `stale-while-revalidate` (docs/contract.md S7). */
export interface HonoRevalidation {
  /**
   * The app the middleware is mounted in (`app.use('*', cacheMiddleware({ mode: 'shared', app }))`):
   * a stale response is answered at once and the revalidation runs through `app.fetch` with the
   * context's `env`, passing this middleware untouched. Middleware runs `next()` once per
   * request, so without it shared mode revalidates in the foreground. Default: none.
   */
  app?: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> }
}

/**
 * Replace the context's response. Hono's `c.res = r` copies the old response's headers onto
 * `r` (they would override what the cache decided), so the old one is dropped first.
 */
function replaceResponse(c: Context, response: Response): void {
  if (c.res === response) return
  c.res = undefined
  c.res = response
}

function cachingMiddleware(
  engine: ResponseCache,
  trust: ForwardedTrustOptions,
  allowedHosts: readonly string[] | undefined,
  app: HonoRevalidation['app'],
): MiddlewareHandler {
  // Background revalidations this middleware sent through `app.fetch`: they go on to the route.
  const ownRuns = new WeakSet<Request>()
  const hit = honoHitPath(engine, trust, allowedHosts)
  return async function cacheworkHono(c: Context, next: Next): Promise<Response | undefined> {
    const request = c.req.raw
    if (ownRuns.has(request)) return void (await next())
    // The hit decided by core (page-hit.ts), written without core's Fetch round trip. A miss,
    // or what only core can answer (a 304, a stale page), goes through the engine.
    return hit(request, c.env) ?? throughEngine(c, next)
  }

  /** A request the direct hit path did not answer: core's engine, which may run the route. */
  async function throughEngine(c: Context, next: Next): Promise<Response | undefined> {
    const request = c.req.raw
    const rerun =
      app &&
      ((forwarded: Request): Response | Promise<Response> => {
        ownRuns.add(forwarded)
        return app.fetch(forwarded, c.env)
      })
    let ran = false
    const response = await engine.handle(
      request,
      async (forwarded) => {
        // `next()` runs once: a second ask (a Vary-mismatch 304 that selects nothing) re-runs the app.
        if (ran)
          return rerun ? rerun(forwarded) : new Response(null, { status: 502, statusText: 'Bad Gateway' })
        ran = true
        // Shared mode's validators reach the route on the context's request where its headers
        // can change; where they cannot (a Workers request), through `app` when given.
        if (!adoptForwarded(request, forwarded) && rerun) return rerun(forwarded)
        await next()
        return c.res
      },
      { background: rerun ?? false },
    )
    if (!ran) return response // a hit (or a concurrent miss's page): the handler never ran
    replaceResponse(c, response)
    return undefined
  }
}

/**
 * Cache the whole app, or a path (Django's `CacheMiddleware`):
 * `app.use('*', cacheMiddleware({ alias: 'pages', seconds: 600 }))`. GET/HEAD 200 responses
 * are stored for their `max-age`, else `seconds` (600), in `alias` (`'default'`) under
 * `keyPrefix` (`''`); a hit carries `Age`, a conditional request gets its 304.
 */
export function cacheMiddleware(options: HonoCacheMiddlewareOptions = {}): MiddlewareHandler {
  const { alias, seconds, trustForwardedHost, trustForwardedProto, app, ...rest } = options
  return cachingMiddleware(
    new ResponseCache({ ...rest, cache: alias ?? 'default', cacheTimeout: seconds }),
    { trustForwardedHost, trustForwardedProto },
    rest.allowedHosts,
    app,
  )
}

/**
 * Cache one route for `timeout` seconds, which beats the response's `max-age` (Django's
 * `cache_page`; `null` uses `max-age`, else 600): `app.get('/x', cachePage(900), handler)`.
 * Alias `'default'` and key prefix `''` unless given.
 */
export function cachePage(timeout: number | null, options: HonoCachePageOptions = {}): MiddlewareHandler {
  if (timeout !== null && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw new TypeError(
      `cachePage(timeout): timeout must be a number of seconds or null, got ${String(timeout)}`,
    )
  }
  const { trustForwardedHost, trustForwardedProto, app, ...rest } = options
  const engineOptions: ResponseCacheOptions = {
    ...rest,
    keyPrefix: rest.keyPrefix ?? '',
    pageTimeout: timeout,
  }
  return cachingMiddleware(
    new ResponseCache(engineOptions),
    { trustForwardedHost, trustForwardedProto },
    rest.allowedHosts,
    app,
  )
}

/** Middleware that patches the handler's response headers on the way out. */
function headerMiddleware(patch: (response: Response) => void): MiddlewareHandler {
  return async function cacheworkHeaders(c: Context, next: Next): Promise<void> {
    await next()
    const response = mutableResponse(c.res)
    patch(response)
    replaceResponse(c, response)
  }
}

/**
 * Django's `cache_control` as middleware: `app.get('/x', cacheControl({ maxAge: 3600 }), h)`.
 * Placed after `cachePage`, it patches before the response is stored, as a decorator inside
 * `cache_page` does.
 */
export function cacheControl(directives: CacheControlDirectives): MiddlewareHandler {
  return headerMiddleware((r) => patchCacheControl(r, directives))
}

/**
 * Django's `never_cache` as middleware: `Cache-Control: max-age=0, no-cache, no-store,
 * must-revalidate, private` and `Expires` now.
 */
export const neverCache: MiddlewareHandler = headerMiddleware((r) => addNeverCacheHeaders(r))

/** Django's `vary_on_headers` as middleware: `app.get('/x', cachePage(60), varyOnHeaders('Accept-Language'), h)`. */
export function varyOnHeaders(...names: string[]): MiddlewareHandler {
  return headerMiddleware((r) => patchVaryHeaders(r, names))
}

/** Django's `vary_on_cookie` as middleware. */
export const varyOnCookie: MiddlewareHandler = varyOnHeaders('Cookie')

export { cacheApp, type FetchApp, type HonoCacheAppOptions } from './hono-app.ts'
export { condition, etag, lastModified } from './hono-conditional.ts'
