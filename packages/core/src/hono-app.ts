/**
 * Page caching in front of a whole Hono app (`cacheApp`), and the hit path it shares with the
 * Hono middleware (hono.ts): a hit is decided by core (`peekHit`, page-hit.ts) and answered
 * from the stored page before Hono's router or any middleware runs; everything else goes
 * through core's engine (`ResponseCache.handle`), which calls the app and stores by the same
 * rules and Django keys as every other adapter (docs/contract.md §3).
 */
import type { StoredResponse } from './http/body.ts'
import { ResponseCache } from './http/engine.ts'
import { FetchRequestView, FetchRequestViews } from './http/fetch-view.ts'
import { type ForwardedTrustOptions, forwardedRequestView } from './http/forwarded.ts'
import { canonicalHostEnd, isCanonicalTargetAt } from './http/fetch-url.ts'
import { badHostResponse, checkedHost } from './http/hosts.ts'
import { hitAge, isConditionalRequest, type PreparedPage, preparePage } from './http/page-hit.ts'
import { bindRequestView, boundView, type RequestView } from './http/request-view.ts'
import type { CacheMiddlewareOptions } from './http/wrappers.ts'
import { NO_PEEK } from './peek.ts'

/**
 * A hit as a `Response` built from plain parts: on `@hono/node-server` that is its lightweight
 * response, written to the socket from the status, the header object and the body without a
 * Fetch `Headers` or body stream (its `responseViaCache`); elsewhere an ordinary `Response`.
 */
function hitResponse(stored: StoredResponse, method: string, now: number, node: boolean): Response {
  const page = preparePage(stored, true)
  if (page.protoField && !node) return fetchHeadersHit(stored, page, method, now)
  // One fast copy of the page's header object (made once per page, one shape per header set)
  // with its `age` slot filled: a spread of the prototype-less record is a slow dictionary copy.
  const fields =
    node && method !== 'HEAD'
      ? (page.bodyFields ??= bodyFields(stored, page))
      : (page.fields ??= headerFields(page, undefined))
  const headers = { ...fields }
  headers.age = hitAge(stored, page, now)
  return new Response(method === 'HEAD' ? null : bodyOf(stored, page), {
    status: stored.status,
    statusText: stored.statusText,
    headers,
  })
}

/**
 * `hitResponse` with a Fetch `Headers`, for a page with a field named `__proto__` outside the
 * node-server (which writes a header object as it is): a `Headers` built from an object drops
 * that key (WebIDL's record conversion stores each key into a `{}`).
 */
function fetchHeadersHit(stored: StoredResponse, page: PreparedPage, method: string, now: number): Response {
  const headers = new Headers()
  const raw = page.raw
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
  headers.set('age', hitAge(stored, page, now))
  return new Response(method === 'HEAD' ? null : bodyOf(stored, page), {
    status: stored.status,
    statusText: stored.statusText,
    headers,
  })
}

/** The page's headers (bar `skip`) as a plain object with an `age` slot at the end (`__proto__` an own key). */
function headerFields(page: PreparedPage, skip: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {}
  const define = (name: string, value: string): void => {
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true })
  }
  for (const name of Object.keys(page.record)) if (name !== skip) define(name, page.record[name] as string)
  define('age', '0')
  return fields
}

/**
 * The header object of a GET hit on `@hono/node-server`: without `Content-Length` when it is the
 * body's length, which the node-server then has Node write from the body it sends (as for the
 * bare app's `c.body(text)`): the same field, but not one more header name and value for Node's
 * `writeHead` to validate. A HEAD keeps the field (there is no body to take it from).
 */
function bodyFields(stored: StoredResponse, page: PreparedPage): Record<string, string> {
  const own = page.record['content-length'] === String(stored.body.byteLength)
  return own ? headerFields(page, 'content-length') : (page.fields ??= headerFields(page, undefined))
}

// Bodies up to this size that are ASCII go out as a string, as a handler's `c.body(text)` does:
// the node-server then sends the header block and the body in one write instead of a writev of
// two buffers. A string encodes to the same bytes only when every byte is ASCII (UTF-8 = ASCII).
const TEXT_BODY_MAX = 16 * 1024

/** The body to answer with: the cache's own bytes, or the same bytes as an ASCII string. */
function bodyOf(stored: StoredResponse, page: PreparedPage): string | Uint8Array<ArrayBuffer> {
  if (page.ascii === undefined) page.ascii = asciiText(stored, page)
  // The cache's own bytes: a Fetch `Response` copies them, the node-server writes them as they are.
  return page.ascii ?? (stored.body as Uint8Array<ArrayBuffer>)
}

/**
 * The body as a string when it is ASCII, small, and typed (a string body without a
 * `Content-Type` would get Fetch's `text/plain`), else null.
 */
function asciiText(stored: StoredResponse, page: PreparedPage): string | null {
  const body = stored.body
  if (body.byteLength > TEXT_BODY_MAX || page.record['content-type'] === undefined) return null
  for (let i = 0; i < body.length; i++) if ((body[i] as number) >= 0x80) return null
  return new TextDecoder().decode(body)
}

/**
 * `@hono/node-server` hands the app `{ incoming, outgoing }` as its env: the `IncomingMessage`'s
 * parsed headers, read without building the lightweight request's `Headers` (a validated,
 * lower-cased lookup per name).
 */
function nodeHeaders(env: unknown): Record<string, unknown> | undefined {
  const incoming = (env as { incoming?: { headers?: unknown; rawHeaders?: unknown } } | undefined)?.incoming
  const headers = incoming?.headers
  return typeof headers === 'object' && headers !== null && Array.isArray(incoming?.rawHeaders)
    ? (headers as Record<string, unknown>)
    : undefined
}

/**
 * `request.headers.get('host')`, on `@hono/node-server` read from the `IncomingMessage`'s raw
 * header list (`rawHeaders` of `env.incoming`, as `conditional` reads the parsed headers) without
 * building the lightweight request's `Headers` (a name check by regex, lower-casing, a copy of
 * the list): the value of the one Host field when it is all visible ASCII, which Fetch gives as
 * it is. Elsewhere, and for several Host fields (Fetch joins them) or a value Fetch would trim
 * or refuse, `request.headers` answers.
 */
function hostHeader(request: Request, h: Record<string, unknown> | undefined, env: unknown): string | null {
  if (h === undefined) return request.headers.get('host')
  const value = rawHost(env)
  if (value === null) return null
  if (value === undefined || value.length === 0) return request.headers.get('host')
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x21 || c > 0x7e) return request.headers.get('host')
  }
  return value
}

/**
 * The value of the one Host field in `env.incoming.rawHeaders` (any case of the name), `null`
 * when there is none, `undefined` when there are several or it is not a string.
 */
function rawHost(env: unknown): string | null | undefined {
  const raw = (env as { incoming: { rawHeaders: unknown[] } }).incoming.rawHeaders
  let value: unknown = null
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    if (
      typeof name === 'string' &&
      name.length === 4 &&
      (name.charCodeAt(0) | 0x20) === 0x68 && // h
      (name.charCodeAt(1) | 0x20) === 0x6f && // o
      (name.charCodeAt(2) | 0x20) === 0x73 && // s
      (name.charCodeAt(3) | 0x20) === 0x74 // t
    ) {
      if (value !== null) return undefined
      value = raw[i + 1]
    }
  }
  return value === null || typeof value === 'string' ? value : undefined
}

/**
 * The view of a request on `@hono/node-server` made of its parts, or `undefined` (ask
 * `FetchRequestViews.view`): `origin`, one string per host (`nodeOrigin`), and `target`, the
 * `IncomingMessage`'s request target, when the two are in the form WHATWG URL parsing leaves
 * unchanged and `request.url` is exactly the two joined (not so for a request an app rebuilt,
 * as `app.mount` does). Then the view is the one `view()` makes (its URL is `request.url`,
 * `parseFetchUrl`'s `uri` of it), the host check is `checkedHost`'s of the one Host field, and
 * a hit finds its keys by the two parts (page-hit.ts): no scan of the whole URL and no hash of
 * it per request.
 */
function nodeServerView(
  request: Request,
  env: unknown,
  allowedHosts: readonly string[] | undefined,
): RequestView | undefined {
  // The one Host field, as it is: `nodeOrigin` accepts only a host of `[a-z0-9.:-]`, which Fetch
  // gives unchanged, so its `headers.get('host')` is this value.
  const host = rawHost(env)
  if (typeof host !== 'string') return undefined
  const target = (env as { incoming: { url?: unknown } }).incoming.url
  if (typeof target !== 'string' || !isCanonicalTargetAt(target, 0) || boundView(request) !== undefined)
    return undefined
  const url = request.url
  const origin = nodeOrigin(host, url.charCodeAt(4) === 0x73, allowedHosts)
  // One comparison of the two strings (block by block), not a character loop over the URL.
  if (origin === undefined || url.length !== origin.length + target.length || url !== origin + target)
    return undefined
  return new FetchRequestView(request, url, origin, target)
}

/**
 * `scheme://host` when that is an origin URL parsing keeps as it is and `checkedHost` accepts
 * the host (lower case, no default port: the key's spelling), else `undefined`. One record, the
 * last answer, as `checkedHost` keeps: a site answers for few hosts, so the next request's host
 * is nearly always the same (one comparison, and an origin string whose hash the page index
 * keeps); another host overwrites the record in place, at the cost of the check it replaces.
 */
function nodeOrigin(
  host: string,
  https: boolean,
  allowedHosts: readonly string[] | undefined,
): string | undefined {
  const last = lastOrigin
  if (last.host === host && last.https === https && last.allowed === allowedHosts) return last.origin
  const scheme = https ? 'https' : 'http'
  const candidate = `${scheme}://${host}`
  const origin =
    canonicalHostEnd(`${candidate}/`) === candidate.length &&
    checkedHost(host, scheme, allowedHosts) !== undefined
      ? candidate
      : undefined
  // Flattened once here, not by each lookup that hashes or compares it.
  if (origin !== undefined) _originCode = origin.charCodeAt(0)
  last.host = host
  last.https = https
  last.allowed = allowedHosts
  last.origin = origin
  return origin
}

const lastOrigin: {
  host: string | undefined
  https: boolean
  allowed: readonly string[] | undefined
  origin: string | undefined
} = { host: undefined, https: false, allowed: undefined, origin: undefined }

// Written by `nodeOrigin`, so the read that flattens its string is never dropped as unused.
let _originCode = 0

/** Whether the request carries a precondition (then core's path answers its 304/412). */
function conditional(request: Request, h: Record<string, unknown> | undefined): boolean {
  if (h === undefined) return isConditionalRequest(request.headers)
  return (
    h['if-none-match'] !== undefined ||
    h['if-modified-since'] !== undefined ||
    h['if-match'] !== undefined ||
    h['if-unmodified-since'] !== undefined
  )
}

/**
 * The answer a Hono adapter gives before the app runs: the hit for `request` (a fresh stored
 * page core can peek), a 400 for a forwarded host to refuse (rule 20), else `undefined` (a
 * miss, or what only core's engine can answer: a 304, a stale page, an async store).
 */
export function honoHitPath(
  engine: ResponseCache,
  trust: ForwardedTrustOptions,
  allowedHosts: readonly string[] | undefined,
): (request: Request, env?: unknown) => Response | undefined {
  const trusting = trust.trustForwardedHost === true || trust.trustForwardedProto === true
  const views = new FetchRequestViews(allowedHosts)
  return function cacheworkHit(request: Request, env?: unknown): Response | undefined {
    let view: RequestView | undefined
    if (trusting) {
      // Key on the forwarded host/scheme the app renders (rule 20); a bad one is a 400.
      const forwarded = forwardedRequestView(request, trust, allowedHosts)
      if (forwarded === null) return badHostResponse()
      if (forwarded !== undefined) bindRequestView(request, (view = forwarded))
    }
    const method = request.method
    if (!engine.directHits || (method !== 'GET' && method !== 'HEAD')) return undefined
    const h = nodeHeaders(env)
    if (view === undefined) {
      // On the node-server, a URL in the form URL parsing keeps has its view made of its parts;
      // anything else (and a host to refuse, whose 400 core's engine answers) goes the long way.
      if (h !== undefined) view = nodeServerView(request, env, allowedHosts)
      view ??= views.view(request, hostHeader(request, h, env))
    }
    if (view === undefined) return undefined
    const stored = engine.peekHit(view, conditional(request, h))
    return stored !== undefined && stored !== NO_PEEK
      ? hitResponse(stored, method, engine.hitAt, h !== undefined)
      : undefined
  }
}

/** Options of `cacheApp`: the Hono middleware's, without `app` (the wrapped app is the one re-run). */
export type HonoCacheAppOptions = CacheMiddlewareOptions & ForwardedTrustOptions

/** What `cacheApp` wraps and returns: an object with Hono's `fetch(request, env?, executionCtx?)`. */
export interface FetchApp<Env = unknown, Ctx = unknown> {
  fetch: (request: Request, env?: Env, executionCtx?: Ctx) => Response | Promise<Response>
}

/**
 * Cache a whole Hono app (or any `{ fetch }` app) in front of its router:
 * `serve({ fetch: cacheApp(app, { alias: 'pages', seconds: 600 }).fetch })`. A hit is answered
 * without entering Hono at all (no routing, no middleware), so it costs less than any
 * middleware; a miss calls `app.fetch(request, env, executionCtx)` and stores the response by
 * the rules of `cacheMiddleware` (same engine, same Django keys). Options and defaults are
 * `cacheMiddleware`'s: GET/HEAD 200 responses kept for their `max-age`, else `seconds` (600),
 * in `alias` (`'default'`) under `keyPrefix` (`''`); forwarded headers untrusted. There are no
 * per-route options (use `cachePage` in the app for those), and in shared mode a stale page is
 * revalidated in the background through `app.fetch`.
 */
export function cacheApp<Env = unknown, Ctx = unknown>(
  app: FetchApp<Env, Ctx>,
  options: HonoCacheAppOptions = {},
): FetchApp<Env, Ctx> {
  const { alias, seconds, trustForwardedHost, trustForwardedProto, ...rest } = options
  const engine = new ResponseCache({ ...rest, cache: alias ?? 'default', cacheTimeout: seconds })
  const hit = honoHitPath(engine, { trustForwardedHost, trustForwardedProto }, rest.allowedHosts)
  return {
    fetch(request: Request, env?: Env, executionCtx?: Ctx): Response | Promise<Response> {
      const answer = hit(request, env)
      if (answer !== undefined) return answer
      // The wrapped app never sees this cache, so running it again (a Vary-mismatch 304 that
      // selects nothing, a background revalidation) is just another call.
      const run = (forwarded: Request): Response | Promise<Response> =>
        app.fetch(forwarded, env, executionCtx)
      return engine.handle(request, run, { background: run })
    },
  }
}
