/**
 * The Node ⇄ Fetch bridge: reads an `IncomingMessage` as core's Fetch `Request`, captures what a
 * node:http / Connect / Express handler writes to its `ServerResponse` as a Fetch `Response`,
 * and writes a response back. Core knows HTTP semantics; this file only translates (one idea per
 * layer).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { headerHookMark, installHeaderHooks, runHeaderHooks } from './http-hooks.ts'

/** A Connect/Express-style `next`; node:http handlers never receive one. */
export type NextFunction = (err?: unknown) => void

/** A node:http, Connect or Express handler: `(req, res, next?)`. Its return value is ignored. */
export type NodeHandler<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
> = (req: Req, res: Res, next?: NextFunction) => unknown

/** Express mounts routers by rewriting `req.url`; `originalUrl` keeps what the client asked for. */
interface MaybeExpressRequest extends IncomingMessage {
  originalUrl?: string
}

/** Default largest body buffered for the cache (bytes); a longer body streams through uncached. */
export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024

const PLAIN_URL = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/
const PLAIN_HOST = /^[a-z0-9.-]+(?::\d{1,5})?$/

/**
 * The absolute URL of a request, as WHATWG `new Request(url).url` would spell it (so keys built
 * from it equal core's `getCacheKey(request)`): scheme from the socket, host from `Host`, path
 * and full query string from `originalUrl ?? url`. Plain ASCII URLs skip the `URL` parser.
 */
export function absoluteUrl(req: IncomingMessage): string {
  const path = (req as MaybeExpressRequest).originalUrl ?? req.url ?? '/'
  if (path.startsWith('http://') || path.startsWith('https://')) return new URL(path).href
  const scheme = (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http'
  const host = req.headers.host ?? `${req.socket?.localAddress ?? '127.0.0.1'}:${req.socket?.localPort ?? 80}`
  const raw = `${scheme}://${host}${path}`
  // Fast path: nothing the WHATWG parser would rewrite (case, default port, dot segments, escapes).
  if (
    PLAIN_HOST.test(host) &&
    PLAIN_URL.test(path) &&
    !path.includes('/.') &&
    !(scheme === 'http' && host.endsWith(':80')) &&
    !(scheme === 'https' && host.endsWith(':443'))
  ) {
    return raw
  }
  return new URL(raw).href
}

/** Build the Fetch `Request` core's engine reads. The body is never read: only GET/HEAD are cached. */
export function toFetchRequest(req: IncomingMessage, url = absoluteUrl(req)): Request {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string)
    } catch {
      // A header the Fetch API cannot carry (Node accepted it); keys never depend on it.
    }
  }
  return new Request(url, { method: req.method ?? 'GET', headers })
}

/** `res.getHeaders()` as Fetch `Headers` (multi-valued headers such as Set-Cookie kept apart). */
export function nodeHeadersToFetch(h: OutgoingHttpHeaders): Headers {
  const out = new Headers()
  for (const name in h) {
    const v = h[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const item of v) out.append(name, item)
    else out.append(name, String(v))
  }
  return out
}

/**
 * Write a Fetch-style answer to `res` and end it: status, headers (replacing same-named ones an
 * earlier middleware set), body. Node drops the body by itself for HEAD requests.
 */
export function writeNodeResponse(
  res: ServerResponse,
  status: number,
  headers: Headers,
  body: Uint8Array | undefined,
  statusText?: string,
): void {
  res.statusCode = status
  if (statusText) res.statusMessage = statusText
  let cookies: string[] | undefined
  for (const [name, value] of headers) {
    if (name === 'set-cookie') {
      cookies ??= headers.getSetCookie()
      res.setHeader(name, cookies)
    } else {
      res.setHeader(name, value)
    }
  }
  // 304 and 204 carry no body (RFC 9110 §15.4.5); Node would throw on a body for them.
  if (status === 304 || status === 204 || !body || body.byteLength === 0) res.end()
  else res.end(body)
}

/** What a handler wrote: a complete buffered response, or `streamed` when it went straight out. */
export type Captured =
  | { streamed: false; status: number; statusText: string; headers: Headers; body: Uint8Array<ArrayBuffer> }
  | { streamed: true }

type WriteCb = (err?: Error | null) => void

// The captures in progress, by response: `passThrough` ends one before anything was written.
const releasers = new WeakMap<ServerResponse, () => boolean>()

/**
 * Stop capturing `res` before its handler wrote anything: from now on what it writes goes
 * straight to the client, and the response is never stored. For frameworks that know early
 * that a body is a stream (a Fastify or Koa stream payload), which the capture alone would
 * buffer to the end. Returns false when `res` is not being captured or already has a body.
 */
export function passThrough(res: ServerResponse): boolean {
  return releasers.get(res)?.() ?? false
}
type AnyChunk = string | Uint8Array
const toBuf = (chunk: AnyChunk, enc?: BufferEncoding): Buffer =>
  typeof chunk === 'string'
    ? Buffer.from(chunk, enc ?? 'utf8')
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)

/**
 * Intercept `res.writeHead/write/end/flushHeaders` so what the handler writes is buffered instead
 * of sent. Resolves with the buffered response on `end`; when the body passes `bodyLimit`, or the
 * handler flushes headers (SSE), or the client goes away, the buffered part is sent, the original
 * methods are restored, and it resolves `{ streamed: true }` (such responses are never cached).
 * Until it resolves nothing reaches the socket, so the caller can still change headers.
 */
export function captureResponse(res: ServerResponse, bodyLimit = DEFAULT_BODY_LIMIT): Promise<Captured> {
  // Hooks registered from now on belong to decorators inside the cache (closer to the view):
  // Django applies them before the cache sees the response, so they run before the snapshot.
  installHeaderHooks(res)
  const mark = headerHookMark(res)
  const orig = { writeHead: res.writeHead, write: res.write, end: res.end, flushHeaders: res.flushHeaders }
  const chunks: Buffer[] = []
  let size = 0
  let done = false
  let resolve!: (c: Captured) => void
  const promise = new Promise<Captured>((r) => {
    resolve = r
  })
  const restore = (): void => {
    res.writeHead = orig.writeHead
    res.write = orig.write
    res.end = orig.end
    res.flushHeaders = orig.flushHeaders
    res.off('close', onClose)
    releasers.delete(res)
  }
  const goStreaming = (): void => {
    if (done) return
    done = true
    restore()
    for (const c of chunks) res.write(c)
    if (chunks.length === 0) res.flushHeaders()
    resolve({ streamed: true })
  }
  const onClose = (): void => goStreaming()
  res.on('close', onClose)
  releasers.set(res, () => {
    if (done || size > 0) return false
    done = true
    restore()
    resolve({ streamed: true })
    return true
  })

  res.writeHead = function writeHead(this: ServerResponse, status: number, ...rest: unknown[]) {
    this.statusCode = status
    let headers = rest[0]
    if (typeof headers === 'string') {
      this.statusMessage = headers
      headers = rest[1]
    }
    if (Array.isArray(headers)) {
      // Either [[k, v], …] or the raw flat form [k, v, k, v].
      if (Array.isArray(headers[0]))
        for (const [k, v] of headers as [string, string][]) this.appendHeader(k, v)
      else
        for (let i = 0; i < headers.length; i += 2)
          this.appendHeader(headers[i] as string, headers[i + 1] as string)
    } else if (headers && typeof headers === 'object') {
      for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders)) {
        if (v !== undefined) this.setHeader(k, v)
      }
    }
    return this
  } as ServerResponse['writeHead']

  res.write = function write(this: ServerResponse, chunk: AnyChunk, enc?: unknown, cb?: unknown) {
    const callback = (typeof enc === 'function' ? enc : cb) as WriteCb | undefined
    const buf = toBuf(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : undefined)
    chunks.push(buf)
    size += buf.byteLength
    if (size > bodyLimit) goStreaming()
    if (callback) process.nextTick(callback)
    return true
  } as ServerResponse['write']

  res.end = function end(this: ServerResponse, chunk?: unknown, enc?: unknown, cb?: unknown) {
    let callback = cb as (() => void) | undefined
    if (typeof chunk === 'function') {
      callback = chunk as () => void
      chunk = undefined
    } else if (typeof enc === 'function') {
      callback = enc as () => void
    }
    if (chunk != null) {
      const buf = toBuf(chunk as AnyChunk, typeof enc === 'string' ? (enc as BufferEncoding) : undefined)
      chunks.push(buf)
      size += buf.byteLength
    }
    if (callback) this.once('finish', callback)
    if (done) {
      // Streaming already began: the original end finishes what was written.
      return (orig.end as () => ServerResponse).call(this)
    }
    done = true
    restore()
    runHeaderHooks(this, mark)
    const body = new Uint8Array(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
    resolve({
      streamed: false,
      status: this.statusCode,
      statusText: this.statusMessage ?? '',
      headers: nodeHeadersToFetch(this.getHeaders()),
      body,
    })
    return this
  } as ServerResponse['end']

  res.flushHeaders = function flushHeaders() {
    goStreaming()
  }
  return promise
}
