/**
 * Core's response-cache engine driven from node:http. A miss goes through core
 * (`ResponseCache.handle`: Django 6.1's storing rules, single-flight); a hit is answered here,
 * straight from the stored page to the socket, with keys computed by core's key functions from
 * a `RequestView` of the `IncomingMessage` (http-request.ts), so the hot path builds no Fetch
 * objects and both paths key alike (docs/contract.md rule 20).
 */
import { type IncomingMessage, ServerResponse } from 'node:http'
import { NO_PEEK, peekShared } from '@cachework/core/backend'
import {
  badHostResponse,
  cacheHeaderKey,
  DEFAULT_MAX_BODY_BYTES,
  isServablePage,
  isStalePage,
  pageCacheKey,
  pageCacheReporting,
  type RequestView,
  ResponseCache,
  reportPageCache,
  type ResponseCacheOptions,
  type StoredResponse,
} from '@cachework/core/http'
import { backgroundPair } from './http-background.ts'
import { captureResponse, toFetchRequest, writeNodeResponse } from './http-bridge.ts'
import { hasHeaderHooks } from './http-hooks.ts'
import { handleShared, sharedServeFromCache, sharedUpdate } from './http-shared.ts'
import { nodeRequestView, type RequestTrustOptions, withView } from './http-request.ts'

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

/** A learned header list read back from the cache (core's `isHeaderList`). */
function isHeaderList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

// Each request's view, built once (the hit path, core's store path and the two halves share it).
// Kept on the request itself: a WeakMap entry per request costs every young-generation GC (its
// ephemeron table lives in the old generation and points at short-lived requests).
const VIEW: unique symbol = Symbol('cachework.view')
type WithView = IncomingMessage & { [VIEW]?: RequestView | null }

/** Answer a malformed or unlisted host (rule 20): 400, before any cache lookup or view. */
function badHost(res: ServerResponse): void {
  const r = badHostResponse()
  res.statusCode = r.status
  res.setHeader('content-type', r.headers.get('content-type') as string)
  res.setHeader('cache-control', 'no-store')
  res.end('Bad Request: invalid or disallowed Host header\n')
}

// Responses a handler streamed straight to the client: nothing is left to write.
const alreadySent = new WeakSet<Response>()

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

const plainWriteHead = ServerResponse.prototype.writeHead

/** `Age` (RFC 9111 §4.2.3): the age the origin gave plus the time spent in this cache, as core. */
function ageOf(stored: StoredResponse, upstream: number, now: number): string {
  return String(upstream + Math.max(0, Math.floor((now - stored.storedAt) / 1000)))
}

/** A stored page made ready to write: its headers as one raw list, `Age` left out. */
interface Prepared {
  /** name, value, name, value… with `Content-Length` added when the page had none. */
  raw: string[]
  /** The `Age` the origin sent (RFC 9111 §4.2.3), 0 when none. */
  upstream: number
  /** Whether `raw` holds `Set-Cookie` (setHeader would keep only the last one). */
  cookies: boolean
  /** A small body as a latin1 string (byte for byte), made on the first shared hit. */
  text?: string
}

/**
 * Bodies up to this size go out as a latin1 string: Node then sends the header block and the
 * body as one string in one write instead of a two-buffer writev, which costs ~3.5 % fewer
 * instructions per Express hit (callgrind, bench/support/callgrind.ts). Bigger bodies stay
 * buffers, so they are never copied into a string.
 */
const TEXT_BODY_MAX = 16 * 1024

function prepare(stored: StoredResponse): Prepared {
  const raw: string[] = []
  let upstream = 0
  let length = false
  let cookies = false
  for (const [name, value] of stored.headers) {
    if (name === 'age') upstream = Number.parseInt(value, 10) || 0
    else {
      if (name === 'content-length') length = true
      else if (name === 'set-cookie') cookies = true
      raw.push(name, value)
    }
  }
  // A HEAD answered from a cached GET announces the GET's length (RFC 9110 §9.3.2).
  if (!length) raw.push('content-length', String(stored.body.byteLength))
  return { raw, upstream, cookies }
}

// Pages read with `peekShared` are the cache's own objects and keep their identity from hit to
// hit, so their raw header list is worked out once. (A page read with `get` is a fresh copy.)
const preparedPages = new WeakMap<StoredResponse, Prepared>()

function preparedShared(stored: StoredResponse): Prepared {
  let p = preparedPages.get(stored)
  if (p === undefined) {
    p = prepare(stored)
    preparedPages.set(stored, p)
  }
  return p
}

/**
 * Write a stored page to `res` with `Age`, as core's `fetchFromCache` does. `shared`: the page
 * is the cache's own object (never changed here), so its prepared headers can be reused.
 */
function writeStored(res: ServerResponse, stored: StoredResponse, now: number, shared: boolean): void {
  const p = shared ? preparedShared(stored) : prepare(stored)
  const age = ageOf(stored, p.upstream, now)
  // Fast path: nothing set on `res` yet, no hook waiting and nobody wrapping writeHead, so the
  // stored headers go out as one raw list (Node then skips its per-header bookkeeping).
  if (res.writeHead === plainWriteHead && !hasHeaderHooks(res) && res.getHeaderNames().length === 0) {
    const raw = p.raw.slice()
    raw.push('age', age)
    if (stored.statusText) res.writeHead(stored.status, stored.statusText, raw)
    else res.writeHead(stored.status, raw)
  } else {
    // Headers already on `res` (Express's X-Powered-By, a hook's patch): the stored ones
    // replace same-named ones, as setHeader does; Set-Cookie values are kept together.
    res.statusCode = stored.status
    if (stored.statusText) res.statusMessage = stored.statusText
    const raw = p.raw
    let cookies: string[] | undefined
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string
      if (p.cookies && name === 'set-cookie') (cookies ??= []).push(raw[i + 1] as string)
      else res.setHeader(name, raw[i + 1] as string)
    }
    if (cookies) res.setHeader('set-cookie', cookies)
    res.setHeader('age', age)
  }
  const body = stored.body
  if (body.byteLength === 0) res.end()
  else if (shared && body.byteLength <= TEXT_BODY_MAX) {
    // latin1 maps each byte to one char and back, so the bytes sent are exactly the stored ones.
    p.text ??= Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1')
    res.end(p.text, 'latin1')
  } else res.end(body)
}

/** Write a Fetch `Response` core returned (a 304, a hit for a conditional request, a fresh page). */
async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (alreadySent.has(response)) return
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined
  writeNodeResponse(res, response.status, response.headers, body, response.statusText)
}

/**
 * `writeResponse` for shared mode: the view set its headers on `res` itself, so a field the
 * shared cache took out of what it sends (`Surrogate-Control` meant for it) is removed here.
 */
function writeSharedResponse(res: ServerResponse, response: Response): Promise<void> {
  if (!response.headers.has('surrogate-control') && !alreadySent.has(response))
    res.removeHeader('surrogate-control')
  return writeResponse(res, response)
}

/**
 * Node options on top of core's: the buffered body limit doubles as the streaming threshold;
 * the trust options say which proxy headers the keys follow (http-request.ts).
 */
export type NodeCacheOptions = ResponseCacheOptions & RequestTrustOptions

/** One configured page cache for Node handlers (what `cacheMiddleware`/`cachePage` build). */
export class NodePageCache {
  readonly engine: ResponseCache
  private readonly fast: boolean
  private readonly keyPrefix: string
  private readonly bodyLimit: number
  private readonly trust: RequestTrustOptions

  constructor(options: NodeCacheOptions) {
    this.engine = new ResponseCache(options)
    // Keys with i18n/time-zone suffixes need a Fetch Request; take core's path for those.
    this.fast = options.i18n === undefined && options.timeZone === undefined
    this.keyPrefix = options.keyPrefix ?? ''
    this.bodyLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    this.trust = {
      allowedHosts: options.allowedHosts,
      trustForwardedHost: options.trustForwardedHost,
      trustForwardedProto: options.trustForwardedProto,
    }
  }

  /** The request as the app routes on it, or `undefined` when it must be answered 400. */
  private view(req: IncomingMessage): RequestView | undefined {
    let v = (req as WithView)[VIEW]
    if (v === undefined) {
      v = nodeRequestView(req, this.trust) ?? null
      if (v !== null) {
        const view = v
        v = {
          url: view.url,
          method: view.method,
          header: view.header,
          toRequest: () => this.fetchRequest(req, view),
        }
      }
      ;(req as WithView)[VIEW] = v
    }
    return v ?? undefined
  }

  /** The Fetch `Request` core's engine reads, its keys bound to the view. */
  private fetchRequest(req: IncomingMessage, view: RequestView): Request {
    return withView(toFetchRequest(req, view.url), view)
  }

  private now(): number {
    return this.engine.options.now?.() ?? Date.now()
  }

  /** Core's `lookup`, from the IncomingMessage: the stored GET page (or HEAD page for a HEAD). */
  private async lookup(req: IncomingMessage, view: RequestView): Promise<StoredResponse | undefined> {
    const cache = this.engine.cache()
    const opts = { keyPrefix: this.keyPrefix }
    const headerList = await cache.get<unknown>(cacheHeaderKey(view, opts))
    if (!isHeaderList(headerList)) return undefined
    const got = await cache.get<unknown>(pageCacheKey(view, 'GET', headerList, opts))
    if (isServablePage(got)) return got
    if (req.method !== 'HEAD') return undefined
    const head = await cache.get<unknown>(pageCacheKey(view, 'HEAD', headerList, opts))
    return isServablePage(head) ? head : undefined
  }

  /**
   * `lookup` without a promise or a copy, for a backend that can peek (locmem with nobody
   * listening): the cache's own stored page (never changed here), `undefined` on a miss, or
   * `NO_PEEK` (then use `lookup`).
   */
  private peekLookup(req: IncomingMessage, view: RequestView): StoredResponse | undefined | typeof NO_PEEK {
    const cache = this.engine.cache()
    const opts = { keyPrefix: this.keyPrefix }
    const headerList = peekShared(cache, cacheHeaderKey(view, opts))
    // Whether a backend can peek does not change between two synchronous calls.
    if (headerList === NO_PEEK) return NO_PEEK
    if (!isHeaderList(headerList)) return undefined
    const got = peekShared(cache, pageCacheKey(view, 'GET', headerList, opts))
    if (isServablePage(got)) return got
    if (req.method !== 'HEAD') return undefined
    const head = peekShared(cache, pageCacheKey(view, 'HEAD', headerList, opts))
    return isServablePage(head) ? head : undefined
  }

  /** A hit answered here (not by core's engine), told to inspection tools as core does. */
  private reportHit(req: IncomingMessage, stored: StoredResponse): void {
    if (!pageCacheReporting()) return
    const alias = this.engine.cache().alias
    reportPageCache({
      type: 'hit',
      alias,
      method: req.method ?? 'GET',
      url: this.view(req)?.url ?? req.url ?? '/',
      status: stored.status,
      at: this.now(),
    })
  }

  /**
   * Answer a GET/HEAD from the cache synchronously when the backend can peek: true when served,
   * false on a miss, `undefined` when only the async path can tell (another backend, a
   * conditional request, i18n/time-zone keys). A failing lookup is a miss, as in `lookup`.
   */
  private serveSync(req: IncomingMessage, res: ServerResponse, view: RequestView): boolean | undefined {
    if (!this.fast || isConditional(req)) return undefined
    let stored: StoredResponse | undefined | typeof NO_PEEK
    try {
      stored = this.peekLookup(req, view)
    } catch (error) {
      this.engine.options.onError?.(error)
      return false
    }
    if (stored === NO_PEEK) return undefined
    if (stored === undefined) return false
    // A stale page (rule 16) needs core's refresh claim, which is async.
    if (isStalePage(stored, this.now())) return undefined
    writeStored(res, stored, this.now(), true)
    this.reportHit(req, stored)
    return true
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
    view: RequestView,
    staleAsMiss = false,
  ): Promise<boolean> {
    if (!this.fast || isConditional(req)) {
      const hit = await this.engine.fetchFromCache(this.fetchRequest(req, view))
      updateFlag.set(req, hit === undefined)
      if (hit) await writeResponse(res, hit)
      return hit !== undefined
    }
    let stored: StoredResponse | undefined
    try {
      stored = await this.lookup(req, view)
    } catch (error) {
      this.engine.options.onError?.(error)
    }
    if (stored !== undefined && isStalePage(stored, this.now())) {
      // Rule 16: core decides who re-renders a stale page; `handle` lets core's `handle` do it.
      if (staleAsMiss) return false
      const hit = await this.engine.fetchFromCache(this.fetchRequest(req, view))
      updateFlag.set(req, hit === undefined)
      if (hit) await writeResponse(res, hit)
      return hit !== undefined
    }
    updateFlag.set(req, stored === undefined)
    if (stored === undefined) return false
    writeStored(res, stored, this.now(), false)
    this.reportHit(req, stored)
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
    const rv = this.view(req)
    if (rv === undefined) {
      badHost(res)
      return undefined
    }
    const served = this.serveSync(req, res, rv)
    if (served === true) return undefined
    return this.handleAsync(req, res, view, rv, served === false)
  }

  private async handleAsync(
    req: IncomingMessage,
    res: ServerResponse,
    view: () => void,
    rv: RequestView,
    knownMiss: boolean,
  ): Promise<void> {
    if (!knownMiss && this.fast && !isConditional(req) && (await this.serveAsync(req, res, rv, true))) return
    const request = this.fetchRequest(req, rv)
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
    await writeResponse(res, await this.engine.updateCache(this.fetchRequest(req, view), response))
  }
}
