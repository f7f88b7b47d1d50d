/**
 * Fetch-style wrappers: Django's `CacheMiddleware`, `cache_page`, `cache_control`,
 * `never_cache`, `vary_on_headers` and `vary_on_cookie` (django/views/decorators/cache.py, django/utils/cache.py) for
 * handlers `(request: Request, ...rest) => Response | Promise<Response>`.
 */
import type { Cache } from '../types.ts'
import { mutableResponse } from './body.ts'
import { type CacheControlDirectives, patchCacheControl } from './cache-control.ts'
import { type NextHandler, ResponseCache, type ResponseCacheOptions } from './engine.ts'
import { addNeverCacheHeaders, patchVaryHeaders } from './headers.ts'

/** A fetch-style handler; extra arguments (route params, env, context) are passed through. */
export type FetchHandler<Rest extends unknown[] = unknown[]> = (
  request: Request,
  ...rest: Rest
) => Response | Promise<Response>

/** A per-site middleware: `(request, next) => Promise<Response>`. */
export type FetchMiddleware = (request: Request, next: NextHandler) => Promise<Response>

/** Options of `cacheMiddleware` (Django's `CACHE_MIDDLEWARE_*` settings). */
export interface CacheMiddlewareOptions extends Omit<ResponseCacheOptions, 'cache' | 'cacheTimeout'> {
  /** The alias (or a `Cache`). Default `'default'`. */
  alias?: string | Cache
  /** Seconds to cache a page without `max-age`. Default 600. */
  seconds?: number
  /** Default `''`. */
  keyPrefix?: string
}

/** Options of `cachePage`. */
export interface CachePageOptions extends Omit<ResponseCacheOptions, 'pageTimeout'> {
  /** The alias (or a `Cache`). Default `'default'`. */
  cache?: string | Cache
  /** Default `''` (not the middleware's prefix, as in Django). */
  keyPrefix?: string
}

// Django 4.0.1+: decorators check duck-typed requests to catch misuse early.
function checkRequest(request: unknown, name: string): asserts request is Request {
  const r = request as { url?: unknown; headers?: { get?: unknown }; method?: unknown } | null
  if (
    !r ||
    typeof r.url !== 'string' ||
    typeof r.method !== 'string' ||
    typeof r.headers?.get !== 'function'
  ) {
    throw new TypeError(
      `${name} didn't receive a Request. Wrap a handler whose first argument is a Fetch API Request.${NODE_HINT}`,
    )
  }
}

// Core's wrappers are Fetch-style; used as (req, res, next) middleware they would otherwise
// wait forever for a Response that never comes, so they fail at once and say what to use.
const NODE_HINT =
  ' For node:http, Connect or Express (req, res, next) handlers, use the wrappers of @cachework/node.'

function checkHandler(handler: unknown, name: string): void {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `${name}(...) takes a Fetch handler (request) => Response, got ${typeof handler}.${NODE_HINT}`,
    )
  }
}

/**
 * Cache the whole site (Django's `CacheMiddleware`): GET/HEAD responses are stored for their
 * `max-age`, else `seconds` (600), in `alias` (`'default'`) under `keyPrefix` (`''`).
 */
export function cacheMiddleware(options: CacheMiddlewareOptions = {}): FetchMiddleware {
  const { alias, seconds, ...rest } = options
  const engine = new ResponseCache({ ...rest, cache: alias ?? 'default', cacheTimeout: seconds })
  return (request, next) => {
    checkRequest(request, 'cacheMiddleware')
    checkHandler(next, 'cacheMiddleware')
    return engine.handle(request, next)
  }
}

/** The fetch half alone (Django's `FetchFromCacheMiddleware`): a cached response or `undefined`. */
export function fetchFromCacheMiddleware(
  options: CacheMiddlewareOptions = {},
): (request: Request) => Promise<Response | undefined> {
  const { alias, seconds, ...rest } = options
  const engine = new ResponseCache({ ...rest, cache: alias ?? 'default', cacheTimeout: seconds })
  return (request) => {
    checkRequest(request, 'fetchFromCacheMiddleware')
    return engine.fetchFromCache(request)
  }
}

/** The update half alone (Django's `UpdateCacheMiddleware`): stores by the rules, returns the response to send. */
export function updateCacheMiddleware(
  options: CacheMiddlewareOptions = {},
): (request: Request, response: Response) => Promise<Response> {
  const { alias, seconds, ...rest } = options
  const engine = new ResponseCache({ ...rest, cache: alias ?? 'default', cacheTimeout: seconds })
  return (request, response) => {
    checkRequest(request, 'updateCacheMiddleware')
    return engine.updateCache(request, response)
  }
}

/**
 * Cache one handler's responses for `timeout` seconds, which beats the response's `max-age`
 * (Django's `cache_page`, 3.1+); `null` uses `max-age`, else 600. Alias `'default'`, prefix `''`.
 */
export function cachePage(
  timeout: number | null,
  options: CachePageOptions = {},
): <Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
) => (request: Request, ...rest: Rest) => Promise<Response> {
  if (timeout !== null && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw new TypeError(
      `cachePage(timeout): timeout must be a number of seconds or null, got ${String(timeout)}`,
    )
  }
  const engine = new ResponseCache({ ...options, keyPrefix: options.keyPrefix ?? '', pageTimeout: timeout })
  return (handler) => {
    checkHandler(handler, 'cachePage(timeout)')
    return (request, ...rest) => {
      checkRequest(request, 'cachePage')
      return engine.handle(request, (r) => handler(r, ...rest))
    }
  }
}

/** After the handler, patch `Cache-Control` with `directives` (Django's `cache_control`). */
export function cacheControl(
  directives: CacheControlDirectives,
): <Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
) => (request: Request, ...rest: Rest) => Promise<Response> {
  return (handler) => {
    checkHandler(handler, 'cacheControl(directives)')
    return async (request, ...rest) => {
      checkRequest(request, 'cacheControl')
      const response = mutableResponse(await handler(request, ...rest))
      patchCacheControl(response, directives)
      return response
    }
  }
}

/**
 * After the handler, mark the response never cacheable (Django's `never_cache`):
 * `Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private` and `Expires`.
 */
export function neverCache<Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  checkHandler(handler, 'neverCache')
  return async (request, ...rest) => {
    checkRequest(request, 'neverCache')
    const response = mutableResponse(await handler(request, ...rest))
    addNeverCacheHeaders(response)
    return response
  }
}

/** After the handler, add `names` to `Vary` (Django's `vary_on_headers`). */
export function varyOnHeaders(
  ...names: string[]
): <Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
) => (request: Request, ...rest: Rest) => Promise<Response> {
  return (handler) => {
    checkHandler(handler, 'varyOnHeaders(...names)')
    return async (request, ...rest) => {
      checkRequest(request, 'varyOnHeaders')
      const response = mutableResponse(await handler(request, ...rest))
      patchVaryHeaders(response, names)
      return response
    }
  }
}

/** After the handler, add `Cookie` to `Vary` (Django's `vary_on_cookie`). */
export function varyOnCookie<Rest extends unknown[]>(
  handler: FetchHandler<Rest>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  return varyOnHeaders('Cookie')(handler)
}
