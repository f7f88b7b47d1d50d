/**
 * The request as the application routes on it, for page keys (docs/contract.md rule 20): a
 * core `RequestView` built from an `IncomingMessage`, so the hit path and core's store path key
 * with core's one key function. The host is checked as Django's `get_host()` does (a malformed
 * or unlisted host is `undefined`: answer 400); forwarded headers count only when trusted; the
 * path is the raw request target (`%2e%2e`, `\`) that Express and Connect route on, never a
 * WHATWG-normalised one.
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { bindRequestView, checkedHost, type RequestView } from '@cachework/core/http'
import { toFetchRequest } from './http-bridge.ts'

/** Which parts of a request may come from a proxy, and which hosts the site answers for. */
export interface RequestTrustOptions {
  /**
   * Django's `ALLOWED_HOSTS` (`'*'`, `'.example.com'`, exact names). A malformed or unlisted
   * host is answered 400 and never reaches the cache. Default: any well-formed host.
   */
  allowedHosts?: readonly string[]
  /**
   * Django's `USE_X_FORWARDED_HOST`: key on `X-Forwarded-Host` (its first value) instead of
   * `Host`, for a server behind a proxy that sets it. Default false; an Express app's own
   * `trust proxy` setting is followed whatever this says (its `req.host` is used), and so are
   * Fastify's `trustProxy` and Koa's `app.proxy` (`routeRequestAs`).
   */
  trustForwardedHost?: boolean
  /**
   * Django's `SECURE_PROXY_SSL_HEADER` on `X-Forwarded-Proto`: take the scheme from it (its
   * first value). Default false; an Express app's `req.protocol` is followed likewise.
   */
  trustForwardedProto?: boolean
}

/** Express's request getters (`trust proxy` aware), when the request went through Express. */
interface ExpressLike extends IncomingMessage {
  originalUrl?: string
  app?: { get?: unknown; settings?: Record<string, unknown> }
  protocol?: string
  host?: string
}

// On the request itself (a symbol): a WeakMap entry per request costs every young-generation GC.
const ROUTED: unique symbol = Symbol('cachework.routed')
/** The scheme and raw host a framework routes a request on (`routeRequestAs`). */
export interface Routing {
  readonly scheme: string
  readonly host: string | undefined
}
type Routed = IncomingMessage & { [ROUTED]?: Routing }

/**
 * Key `req` on the scheme and host its framework routes on: Fastify's `request.protocol` /
 * `request.host`, Koa's `ctx.protocol` / `ctx.host`. They follow the framework's own proxy
 * trust (Fastify `trustProxy`, Koa `app.proxy`), so a page that renders them is keyed on them
 * whatever `trustForwardedHost`/`trustForwardedProto` say, as with Express's `trust proxy`.
 */
export function routeRequestAs(req: IncomingMessage, scheme: string, host: string | undefined): void {
  ;(req as Routed)[ROUTED] = { scheme, host }
}

/**
 * What `routeRequestAs` gave `req`, read directly: for requests of one hidden class (node:http's,
 * Fastify's), where a missing symbol is a cached miss. `nodeRequestView` tests an own property
 * first, for Express's per-request hidden classes; a symbol of this module's is never anywhere
 * else, so the two give the same.
 */
export function routingOf(req: IncomingMessage): Routing | undefined {
  return (req as Routed)[ROUTED]
}

const firstValue = (v: string): string => {
  const i = v.indexOf(',')
  return (i === -1 ? v : v.slice(0, i)).trim()
}

/**
 * A request header's value as Fetch `Headers.get` gives it: every occurrence in order, joined
 * with `, ` (Node joins repeated `Cookie` headers with `; `, Fetch does not), or `null`.
 */
export function fetchHeaderValue(req: IncomingMessage, name: string): string | null {
  const raw = req.rawHeaders
  let out: string | null = null
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i] as string
    if (k.length === name.length && k.toLowerCase() === name) {
      const v = raw[i + 1] as string
      out = out === null ? v : `${out}, ${v}`
    }
  }
  return out
}

// Absolute-form request targets (RFC 9112 §3.2.2).
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i

/** The scheme and raw host the application sees for `req` (`framework`: what `routeRequestAs` gave it). */
function schemeAndHost(req: ExpressLike, opts: RequestTrustOptions, framework: Routing | undefined): Routing {
  if (framework !== undefined) {
    // Koa drops userinfo from `Host` (`evil@h` reads as `h`): a raw Host that is not well formed
    // is still a 400 (Django's `get_host()`); whether a host is listed is asked of the routed one.
    const raw = req.headers.host
    if (raw !== undefined && checkedHost(raw, 'http', undefined) === undefined) {
      return { scheme: framework.scheme, host: '' } // '' is never a valid host: a 400
    }
    return framework
  }
  const encrypted = (req.socket as TLSSocket | undefined)?.encrypted === true
  const app = req.app
  if (typeof app?.get === 'function') {
    // Express with `trust proxy` off (its default): its `req.protocol` and `req.host` getters
    // give the socket's scheme and `Host` (express/lib/request.js), read here without them.
    if (app.settings?.['trust proxy'] === false)
      return { scheme: encrypted ? 'https' : 'http', host: req.headers.host || undefined }
    // Express: its getters apply the app's `trust proxy` setting, so key on what it routes on.
    const protocol = req.protocol
    if (typeof protocol === 'string') return { scheme: protocol, host: req.host }
  }
  let scheme = encrypted ? 'https' : 'http'
  const proto = opts.trustForwardedProto ? req.headers['x-forwarded-proto'] : undefined
  if (typeof proto === 'string') scheme = firstValue(proto).toLowerCase()
  const forwarded = opts.trustForwardedHost ? req.headers['x-forwarded-host'] : undefined
  const host = typeof forwarded === 'string' ? firstValue(forwarded) : req.headers.host
  return { scheme, host }
}

/**
 * The `RequestView` of `req` (see the file comment), or `undefined` when the request must be
 * answered 400: a malformed or unlisted host, an unknown scheme, an absolute-form target whose
 * authority is not the host the application sees (RFC 9112 §3.2.2 says to ignore `Host`; the
 * application does not, so neither may be trusted), or a target that is not a path.
 */
export function nodeRequestView(
  req: IncomingMessage,
  opts: RequestTrustOptions = {},
): NodeRequestView | undefined {
  // Own-property test first: a missing symbol read walks the prototype chain (see http-engine.ts).
  return routedRequestView(req, opts, Object.hasOwn(req, ROUTED) ? (req as Routed)[ROUTED] : undefined)
}

/** `nodeRequestView` with the framework routing kept on `req` (`routeRequestAs`) already read. */
export function routedRequestView(
  req: IncomingMessage,
  opts: RequestTrustOptions,
  framework: Routing | undefined,
): NodeRequestView | undefined {
  const r = req as ExpressLike
  const { scheme, host: rawHost } = schemeAndHost(r, opts, framework)
  if (scheme !== 'http' && scheme !== 'https') return undefined
  // Only a request without Host falls back to the socket's address (a getter that asks the OS).
  const host = checkedHost(
    rawHost ?? `${req.socket?.localAddress ?? '127.0.0.1'}:${req.socket?.localPort ?? 80}`,
    scheme,
    opts.allowedHosts,
  )
  if (host === undefined) return undefined
  let path = r.originalUrl ?? req.url ?? '/'
  // An origin-form target (`/…`, nearly every request) cannot be absolute-form: no regex for it.
  if (path.charCodeAt(0) !== 47 && ABSOLUTE.test(path)) {
    let target: URL
    try {
      target = new URL(path)
    } catch {
      return undefined
    }
    if (target.username !== '' || target.password !== '') return undefined
    if (checkedHost(target.host, scheme, opts.allowedHosts) !== host) return undefined
    const at = path.indexOf('/', path.indexOf('//') + 2)
    path = at === -1 ? '/' : path.slice(at)
  }
  if (!path.startsWith('/')) return undefined
  // A fragment never reaches a server from a browser; one in a raw target is not part of the key.
  const hash = path.indexOf('#')
  if (hash !== -1) path = path.slice(0, hash)
  return new NodeRequestView(req, originOf(scheme, host), path)
}

/** The last origin `originOf` made: a site answers for few hosts, so it is nearly always the one asked for. */
const lastOrigin = { scheme: '', host: '', origin: '' }

/**
 * `scheme://host`, one string for consecutive requests to one host (`checkedHost` gives one
 * host string for them), so the page index keeps its hash and compares it by identity. One
 * record, overwritten when another host comes: a miss costs the concatenation it replaces.
 */
function originOf(scheme: string, host: string): string {
  const last = lastOrigin
  if (last.host === host && last.scheme === scheme) return last.origin
  const origin = `${scheme}://${host}`
  // Flattened once here, not by each lookup that hashes or compares it.
  _originCode = origin.charCodeAt(0)
  last.scheme = scheme
  last.host = host
  last.origin = origin
  return origin
}

// Written by `originOf`, so the read that flattens its string is never dropped as unused.
let _originCode = 0

/**
 * A `RequestView` of an `IncomingMessage`. A class, so a hit allocates one object and no
 * closures (each closure is a function object to make and collect per request).
 */
export class NodeRequestView implements RequestView {
  readonly method: string
  private whole: string | undefined = undefined

  /** `origin`: `scheme://host[:port]`; `target`: the path and query (`url` is the two joined). */
  constructor(
    private readonly req: IncomingMessage,
    readonly origin: string,
    readonly target: string,
  ) {
    this.method = req.method ?? 'GET'
  }

  /** `origin + target`, made when first read: a hit finds its keys by the two parts. */
  get url(): string {
    let url = this.whole
    if (url === undefined) {
      url = this.origin + this.target
      this.whole = url
    }
    return url
  }

  header(name: string): string | null {
    return fetchHeaderValue(this.req, name)
  }

  /** The Fetch `Request` core's engine reads, its keys bound to this view. */
  toRequest(): Request {
    return withView(toFetchRequest(this.req, this.url), this)
  }
}

/** Bind `view` to a Fetch `Request` built for core, so core's keys for it come from the view. */
export function withView(request: Request, view: RequestView): Request {
  bindRequestView(request, view)
  return request
}
