/**
 * Page caching for Fastify 5 (`@cachework/node/fastify`): a plugin in fastify-plugin's manner
 * that gives routes Django's per-site and per-view caching on the same engine as the Express
 * adapter (`NodePageCache` over core's `ResponseCache`), so the rules and the keys are the
 * same (docs/contract.md §3): a page stored through Express is a hit through Fastify.
 *
 * The plugin only translates. A route's `onRequest` hook hands the raw `IncomingMessage` and
 * `ServerResponse` to the engine: a hit is written straight to the socket and the reply is
 * hijacked; a miss lets Fastify's lifecycle run, and what Fastify then writes is captured and
 * stored by the engine's rules. A stream payload passes through uncached.
 */
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onSendHookHandler,
  RouteOptions,
} from 'fastify'
import fastifyPlugin from 'fastify-plugin'
import type { Cache } from '@cachework/core'
import type { CacheControlDirectives, CacheMiddlewareOptions } from '@cachework/core/http'
import { appRerun, isOwnRun } from './http-background.ts'
import { passThrough } from './http-bridge.ts'
import { NodePageCache } from './http-engine.ts'
import { routeRequestAs } from './http-request.ts'
import { headerWrappers } from './http-wrappers.ts'

/**
 * A route's `config.cache`: Django's `cache_page` for that route. `seconds` beats the
 * response's `max-age` (`null`: use `max-age`, else the plugin's `seconds`, else 600); `cache`
 * is the alias (default: the plugin's `alias`, else `'default'`); `keyPrefix` defaults to `''`
 * as `cache_page`'s does.
 */
export interface FastifyRouteCache {
  seconds?: number | null
  cache?: string | Cache
  keyPrefix?: string
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * cachework page caching for this route: `{ seconds, cache, keyPrefix }` or a number of
     * seconds (`cachePage`), `true` (the plugin's defaults, as `cacheMiddleware`), `false`
     * (never, even when the plugin caches every route).
     */
    cache?: FastifyRouteCache | number | boolean
  }
}

/** Options of the plugin: core's `CacheMiddlewareOptions` plus `global`. */
export interface FastifyCacheOptions extends CacheMiddlewareOptions {
  /**
   * Cache every GET/HEAD route registered after the plugin (Django's per-site
   * `CacheMiddleware`) unless its `config.cache` is `false`. Default false: only routes with
   * a `config.cache` are cached.
   */
  global?: boolean
}

type RouteCacheConfig = FastifyRouteCache | number | boolean | undefined

/** The `onRequest` hook that serves a route from `page` or lets the route's handler run. */
export function pageCacheHook(page: NodePageCache): onRequestHookHandler {
  return function cacheworkOnRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (err?: Error) => void,
  ) {
    const req = request.raw
    // Not cached, or a background revalidation this cache sent through the app (http-background.ts).
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isOwnRun(req, page)) return done()
    // Key on the host and scheme Fastify gives the handler (its `trustProxy` applied). Without
    // forwarded headers those are the socket's scheme and `Host` whatever `trustProxy` says
    // (fastify/lib/request.js), which is what the keys read by default.
    const h = req.headers
    if (h.host === undefined || h['x-forwarded-host'] !== undefined || h['x-forwarded-proto'] !== undefined)
      routeRequestAs(req, request.protocol, request.host || undefined)
    // A hit is written to the socket here, in the first hook, and Fastify is told it was
    // answered (`hijack`): no handler, no other hook, no `reply.send` serialisation. `done` is
    // not called (a hook that answers stops the chain so, Fastify's Hooks.md): called after a
    // hijack, it only ran Fastify's checks that the reply was sent and stopped there. Fastify's
    // raw requests share one hidden class: `answerPlain` reads what is kept on them directly.
    if (page.answerPlain(req, reply.raw)) {
      reply.hijack()
      return
    }
    handleOnRequest(page, request, reply, done)
  }
}

/** The rest of `pageCacheHook` for what `answerNow` could not answer: the engine's async path. */
function handleOnRequest(
  page: NodePageCache,
  request: FastifyRequest,
  reply: FastifyReply,
  done: (err?: Error) => void,
): void {
  const req = request.raw
  const res = reply.raw
  let ran = false
  const view = (): void => {
    ran = true
    done()
  }
  // Answered from the cache (or by a concurrent miss's page): Fastify must not answer again.
  const served = (): void => {
    if (ran) return
    reply.hijack()
    done()
  }
  const failed = (err: unknown): void => {
    if (!ran) done(err as Error)
    else if (!res.headersSent) {
      res.statusCode = 500
      res.end()
    }
  }
  try {
    // Shared mode's stale-while-revalidate runs the app again in the background, through the server.
    const again = page.engine.shared ? appRerun(req, page, request.originalUrl) : undefined
    const pending = page.handle(req, res, view, again)
    if (pending === undefined) served()
    else pending.then(served, failed)
  } catch (err) {
    failed(err)
  }
}

/**
 * The `onSend` hook added after a cached route's own: a stream payload (Node or web stream)
 * goes straight to the client instead of being buffered, and is never stored.
 */
export const streamThroughHook: onSendHookHandler = function cacheworkOnSend(_request, reply, payload, done) {
  const p = payload as { pipe?: unknown; getReader?: unknown } | null
  if (
    p !== null &&
    typeof p === 'object' &&
    (typeof p.pipe === 'function' || typeof p.getReader === 'function')
  ) {
    passThrough(reply.raw)
  }
  done(null, payload)
}

function addHook<T>(existing: T | T[] | undefined, hook: T, first: boolean): T[] {
  const list = existing === undefined ? [] : Array.isArray(existing) ? [...existing] : [existing]
  if (first) list.unshift(hook)
  else list.push(hook)
  return list
}

/** The engine options for a route, or `undefined` when the route is not cached. */
function routeEngineOptions(config: RouteCacheConfig, plugin: FastifyCacheOptions, global: boolean) {
  if (config === false || (config === undefined && !global)) return undefined
  const { alias, seconds, global: _g, ...rest } = plugin
  const site = { ...rest, cache: alias ?? 'default', cacheTimeout: seconds }
  if (config === undefined || config === true) return site
  const route = typeof config === 'number' ? { seconds: config } : config
  return {
    ...site,
    cache: route.cache ?? site.cache,
    keyPrefix: route.keyPrefix ?? '',
    pageTimeout: route.seconds ?? null,
  }
}

const cachework: FastifyPluginCallback<FastifyCacheOptions> = (fastify: FastifyInstance, options, done) => {
  const global = options.global === true
  let site: NodePageCache | undefined
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.some((m) => m === 'GET' || m === 'HEAD')) return
    const config = (route.config as { cache?: RouteCacheConfig } | undefined)?.cache
    const engineOptions = routeEngineOptions(config, options, global)
    if (engineOptions === undefined) return
    // Routes on the plugin's defaults share one engine (one single-flight table).
    const page =
      config === undefined || config === true
        ? (site ??= new NodePageCache(engineOptions))
        : new NodePageCache(engineOptions)
    // First of the route's onRequest hooks, so a hit skips the rest of the lifecycle.
    route.onRequest = addHook(route.onRequest, pageCacheHook(page), true)
    route.onSend = addHook(route.onSend, streamThroughHook, false)
  })
  done()
}

/**
 * The Fastify plugin: `fastify.register(fastifyCache, { alias: 'pages', seconds: 600 })`, then
 * `fastify.get('/x', { config: { cache: { seconds: 900 } } }, handler)`; `{ global: true }`
 * caches every GET route. Not encapsulated (fastify-plugin's `skip-override`), so it applies to
 * the routes registered after it in every context. Options default as `cacheMiddleware`'s.
 */
export const fastifyCache = fastifyPlugin(cachework, { fastify: '5.x', name: '@cachework/node/fastify' })

/** A Fastify `onSend` hook in callback style (what the header hooks below are). */
export type SendHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: Error | null, payload?: unknown) => void,
) => void

const PATCHED = ['cache-control', 'expires', 'vary'] as const

/** An `onSend` hook applying a core header helper to the reply's cache headers. */
function headerHook(patch: (h: Headers) => void): SendHook {
  return (_request, reply, payload, done) => {
    const h = new Headers()
    for (const name of PATCHED) {
      const v = reply.getHeader(name)
      if (v !== undefined) h.set(name, Array.isArray(v) ? v.join(', ') : String(v))
    }
    patch(h)
    for (const name of PATCHED) {
      const v = h.get(name)
      if (v === null) reply.removeHeader(name)
      else reply.header(name, v)
    }
    done(null, payload)
  }
}

const wrappers = headerWrappers(headerHook)

/**
 * Django's `cache_control` as a route `onSend` hook:
 * `fastify.get('/x', { onSend: cacheControl({ maxAge: 3600, public: true }) }, handler)`.
 * Route hooks run before the cache sees the response, as decorators inside `cache_page` do.
 */
export const cacheControl: (directives: CacheControlDirectives) => SendHook = wrappers.cacheControl

/**
 * Django's `never_cache` as a route `onSend` hook: `Cache-Control: max-age=0, no-cache,
 * no-store, must-revalidate, private` and `Expires` now. `{ onSend: neverCache }`.
 */
export const neverCache: SendHook = wrappers.neverCache

/** Django's `vary_on_headers` as a route `onSend` hook: `{ onSend: varyOnHeaders('Accept-Language') }`. */
export const varyOnHeaders: (...names: string[]) => SendHook = wrappers.varyOnHeaders

/** Django's `vary_on_cookie` as a route `onSend` hook: `{ onSend: varyOnCookie }`. */
export const varyOnCookie: SendHook = wrappers.varyOnCookie

export {
  type ConditionHook,
  condition,
  etag,
  type FastifyConditionOptions,
  type FastifyValidatorFn,
  lastModified,
} from './fastify-conditional.ts'
