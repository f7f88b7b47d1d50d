/**
 * Conformance harness pieces for `(req, res)` frameworks (node:http, Connect, Express): run a
 * conformance view and write its reply to a `ServerResponse`, and listen on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type ConformanceReply,
  type ConformanceRoute,
  type ConformanceServer,
  findRoute,
  isStreamBody,
  plainHeaders,
} from './adapter-conformance.ts'

/** Write a conformance reply the node:http way; a streamed body flushes its headers first (SSE style). */
export async function writeReply(res: ServerResponse, reply: ConformanceReply): Promise<void> {
  res.statusCode = reply.status ?? 200
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v)
  const body = reply.body
  if (isStreamBody(body)) {
    res.flushHeaders()
    for await (const chunk of body) res.write(chunk)
    res.end()
  } else {
    res.end(body ?? '')
  }
}

/** A `(req, res)` handler serving `routes` (404 for other paths). */
export function nodeRoutes(routes: ConformanceRoute[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    const route = findRoute(routes, url)
    if (!route) {
      res.statusCode = 404
      res.end()
      return
    }
    void Promise.resolve(route.view({ method: req.method ?? 'GET', url, headers: plainHeaders(req.headers) }))
      .then((reply) => writeReply(res, reply))
      .catch(() => {
        res.statusCode = 500
        res.end()
      })
  }
}

/** Listen on 127.0.0.1, port 0. */
export async function listenNode(handler: RequestListener): Promise<ConformanceServer> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
