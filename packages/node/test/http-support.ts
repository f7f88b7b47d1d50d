/**
 * Test support for the HTTP adapters: real servers on 127.0.0.1 port 0, fetched with Node's
 * `fetch` (undici). No mocks: every request goes through a socket.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestOptions,
  request,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

/** A listening server and how to reach and stop it. */
export interface Running {
  url: string
  server: Server
  close(): Promise<void>
}

/** Listen on 127.0.0.1, port 0, with a node:http handler or an Express/Connect app. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** `fetch` and read the body as text, returning both. */
export async function get(url: string, init: RequestInit = {}): Promise<{ res: Response; body: string }> {
  const res = await fetch(url, init)
  const body = await res.text()
  return { res, body }
}

/** A unique path per test, so tests never share cache entries. */
let n = 0
export function uniquePath(prefix = '/p'): string {
  n += 1
  return `${prefix}/${process.pid}-${Date.now().toString(36)}-${n}`
}

/** Resolve after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A response read through node:http (for what `fetch` will not send, such as another `Host`). */
export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Send one request over a new socket and read the whole response. */
function sendRaw(options: RequestOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** GET (or `method`) `url` with exactly `headers` (a `host` header included), over a new socket. */
export function rawRequest(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  const u = new URL(url)
  return sendRaw({
    host: u.hostname,
    port: u.port,
    path: `${u.pathname}${u.search}`,
    method,
    headers,
    agent: false,
  })
}

/**
 * GET (or `method`) the raw request target `target` (sent byte for byte: `/a/%2e%2e`, `/x\..\`,
 * or an absolute-form `http://h/p`) on `base`'s server, with exactly `headers`.
 */
export function rawTarget(
  base: string,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  const u = new URL(base)
  return sendRaw({
    host: u.hostname,
    port: u.port,
    path: target,
    method,
    headers,
    agent: false,
    setHost: !('host' in headers),
  })
}

/**
 * A clock for the "Age from the judging reading" tests: it stands still until `late()` is
 * called; from then on its first reading is 4 s after the store and every later one 9 s after.
 * A max-age 5 page is fresh at that first reading, so its hit must say `Age: 4`; an Age from a
 * second reading (9) would be past its freshness, which no cache may serve (RFC 9111 §4.2).
 */
export function judgingClock(): { now: () => number; late: () => void } {
  const t0 = Date.now()
  let late = false
  let reads = 0
  return {
    now: () => (late ? t0 + (reads++ === 0 ? 4000 : 9000) : t0),
    late: () => {
      late = true
    },
  }
}
