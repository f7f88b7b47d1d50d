/**
 * A request/response pair of its own for running a Node view off the request path: shared
 * mode's background revalidation (`stale-while-revalidate`, RFC 5861 §3) answers the client
 * from the store at once and runs the view afterwards on this pair, whose response is captured
 * (http-bridge.ts) and never reaches a socket. Framework prototypes (Express's `req.get`,
 * `res.send`) are kept, so a view written for the framework runs unchanged.
 *
 * Middleware placed before the view (`app.use(cacheMiddleware(…))`, Fastify's and Koa's hooks)
 * cannot call `next()` a second time: there the pair goes through the whole app again, through
 * the server's own request listener (`appRerun`), and the cache that started the run lets it
 * pass to the view untouched (`isOwnRun`).
 */
import { IncomingMessage, type RequestListener, ServerResponse } from 'node:http'

/** Request fields Express sets on its own request that views read. */
const EXPRESS_REQUEST_FIELDS = ['originalUrl', 'baseUrl', 'params', 'app'] as const

/** A pair like (`req`, `res`), for `forwarded`'s method and headers, with no body and no socket writes. */
export function backgroundPair(
  req: IncomingMessage,
  res: ServerResponse,
  forwarded: Request,
): { req: IncomingMessage; res: ServerResponse } {
  const bgReq = new IncomingMessage(req.socket)
  Object.setPrototypeOf(bgReq, Object.getPrototypeOf(req))
  bgReq.method = forwarded.method
  bgReq.url = req.url
  bgReq.httpVersion = req.httpVersion
  const headers: Record<string, string> = {}
  const raw: string[] = []
  for (const [k, v] of forwarded.headers) {
    headers[k] = v
    raw.push(k, v)
  }
  bgReq.headers = headers
  bgReq.rawHeaders = raw
  const from = req as unknown as Record<string, unknown>
  const to = bgReq as unknown as Record<string, unknown>
  for (const f of EXPRESS_REQUEST_FIELDS) if (f in from && Object.hasOwn(from, f)) to[f] = from[f]
  // A GET/HEAD has no body: the stream ends at once.
  bgReq.push(null)
  bgReq.complete = true
  const bgRes = new ServerResponse(bgReq)
  Object.setPrototypeOf(bgRes, Object.getPrototypeOf(res))
  const rto = bgRes as unknown as Record<string, unknown>
  const rfrom = res as unknown as Record<string, unknown>
  if (Object.hasOwn(rfrom, 'app')) rto.app = rfrom.app
  rto.locals = {}
  rto.req = bgReq
  to.res = bgRes
  return { req: bgReq, res: bgRes }
}

/** Background pairs on their way through the app, by the cache (`owner`) that sent them. */
const ownRuns = new WeakMap<IncomingMessage, object>()

/** Whether any pair was sent through an app yet: until then no request is one (no WeakMap lookup per request). */
let sentAny = false

/** Whether `req` is a background pair that `owner` sent through the app (then it must go on to the view). */
export function isOwnRun(req: IncomingMessage, owner: object): boolean {
  return sentAny && ownRuns.get(req) === owner
}

/**
 * A background run of the whole app for middleware placed before the view: the pair gets the
 * URL the client sent (`url`, default `req.originalUrl ?? req.url`, before any mount path was
 * taken off) and goes through the request listener of the server that accepted `req` (Express,
 * Connect, Koa's `app.callback()`, Fastify's handler, a plain node:http handler). `undefined`
 * when that listener is not known (no server on the socket, as under Fastify's `inject()`, or
 * more than one `request` listener): then the cache revalidates in the foreground.
 */
export function appRerun(
  req: IncomingMessage,
  owner: object,
  url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url,
): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
  const server = (req.socket as (typeof req.socket & { server?: NodeJS.EventEmitter }) | null)?.server
  const listeners = server?.listeners('request')
  if (listeners?.length !== 1) return undefined
  const listener = listeners[0] as RequestListener
  return (bgReq, bgRes) => {
    bgReq.url = url
    sentAny = true
    ownRuns.set(bgReq, owner)
    listener.call(server, bgReq, bgRes)
  }
}
