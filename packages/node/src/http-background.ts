/**
 * A request/response pair of its own for running a Node view off the request path: shared
 * mode's background revalidation (`stale-while-revalidate`, RFC 5861 §3) answers the client
 * from the store at once and runs the view afterwards on this pair, whose response is captured
 * (http-bridge.ts) and never reaches a socket. Framework prototypes (Express's `req.get`,
 * `res.send`) are kept, so a view written for the framework runs unchanged.
 */
import { IncomingMessage, ServerResponse } from 'node:http'

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
