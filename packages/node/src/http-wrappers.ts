/**
 * What the Node adapters' Django-named wrappers share, written once (node:http / Connect /
 * Express in http.ts, Koa in koa.ts): the page cache that `cacheMiddleware` and `cachePage`
 * configure (django/middleware/cache.py `CacheMiddleware`, django/views/decorators/cache.py
 * `cache_page`), and the header decorators (`cacheControl`, `neverCache`, `varyOnHeaders`,
 * `varyOnCookie`) built from the one thing that differs per framework: how a patch of the
 * response's cache headers is applied after the view.
 */
import {
  addNeverCacheHeaders,
  type CacheControlDirectives,
  type CacheMiddlewareOptions,
  type CachePageOptions,
  patchCacheControl,
  patchVaryHeaders,
} from '@cachework/core/http'
import { NodePageCache } from './http-engine.ts'
import type { RequestTrustOptions } from './http-request.ts'

/**
 * The page cache of Django's `CacheMiddleware`: alias `alias` (`'default'`), `seconds` when the
 * response has no `max-age` (core's default, 600), key prefix `keyPrefix` (`''`).
 */
export function sitePageCache(options: CacheMiddlewareOptions & RequestTrustOptions): NodePageCache {
  const { alias, seconds, ...rest } = options
  return new NodePageCache({ ...rest, cache: alias ?? 'default', cacheTimeout: seconds })
}

/**
 * The page cache of Django's `cache_page(timeout)`: `timeout` seconds beat the response's
 * `max-age` (`null` uses `max-age`, else 600); alias `'default'` and key prefix `''` unless
 * given. Throws a `TypeError` when `timeout` is neither a number nor `null`.
 */
export function viewPageCache(
  timeout: number | null,
  options: CachePageOptions & RequestTrustOptions,
): NodePageCache {
  if (timeout !== null && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw new TypeError(
      `cachePage(timeout): timeout must be a number of seconds or null, got ${String(timeout)}`,
    )
  }
  return new NodePageCache({ ...options, keyPrefix: options.keyPrefix ?? '', pageTimeout: timeout })
}

/** Django's header decorators in one framework's shape `W` (a decorator, a middleware…). */
export interface HeaderWrappers<W> {
  /** Django's `cache_control`: patch `Cache-Control` with `directives`. */
  cacheControl(directives: CacheControlDirectives): W
  /** Django's `never_cache`: `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private`, `Expires` now. */
  neverCache: W
  /** Django's `vary_on_headers`: add `names` to `Vary`. */
  varyOnHeaders(...names: string[]): W
  /** Django's `vary_on_cookie`: add `Cookie` to `Vary`. */
  varyOnCookie: W
}

/**
 * The header decorators of a framework whose `wrap(patch)` makes a `W` that applies `patch` (a
 * core helper on Fetch `Headers`) to the response's cache headers after the view.
 */
export function headerWrappers<W>(wrap: (patch: (h: Headers) => void) => W): HeaderWrappers<W> {
  const varyOnHeaders = (...names: string[]): W => wrap((h) => patchVaryHeaders(h, names))
  return {
    cacheControl: (directives) => wrap((h) => patchCacheControl(h, directives)),
    neverCache: wrap((h) => addNeverCacheHeaders(h)),
    varyOnHeaders,
    varyOnCookie: varyOnHeaders('Cookie'),
  }
}
