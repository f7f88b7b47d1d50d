/**
 * `/__cachework/server/*` on the Vite dev server, forwarded to a separate Node server's
 * `devtoolsEndpoint()`. The page authenticates to Vite with the per-start page token; Vite
 * authenticates to the Node server with the shared token, which never reaches the page. The
 * browser talks only to its own origin, so no CORS is needed.
 */
import { type IncomingMessage, request, type ServerResponse } from 'node:http'
import { TOKEN_HEADER } from '@cachework/core/inspect'
import { isLoopback, SHARED_TOKEN_ENV, tokensEqual } from './security.ts'

/** Mount path of the proxy on the Vite dev server. */
export const PROXY_PATH = '/__cachework/server'

/** A Connect middleware (mounted at `PROXY_PATH`) forwarding to `target`'s endpoint. */
export function serverProxy(
  target: string,
  pageToken: string,
  serverToken: () => string,
  tokenFrom: () => string = () => 'the plugin',
): (req: IncomingMessage, res: ServerResponse) => void {
  const base = new URL(target)
  const basePath = base.pathname.replace(/\/$/, '')
  return (req, res) => {
    if (!isLoopback(req.socket.remoteAddress) || !tokensEqual(req.headers[TOKEN_HEADER], pageToken)) {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'forbidden: devtools answer only loopback clients with the token' }))
      return
    }
    const path = `${basePath}/__cachework${req.url ?? '/'}`
    const upstream = request(
      {
        host: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port || 80,
        method: req.method,
        path,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          accept: req.headers.accept ?? '*/*',
          [TOKEN_HEADER]: serverToken(),
        },
      },
      (up) => {
        if (up.statusCode === 403) {
          explainRefusal(up, res, target, tokenFrom())
          return
        }
        res.writeHead(up.statusCode ?? 502, {
          'content-type': up.headers['content-type'] ?? 'application/json',
          'cache-control': 'no-store',
        })
        // Flush each SSE chunk at once rather than buffering.
        res.flushHeaders()
        up.pipe(res)
      },
    )
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: `cachework devtools: cannot reach ${target} (${e.message})` }))
    })
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  }
}

/**
 * The server refused the token: say where each side looked for it and how to share one,
 * instead of a bare "forbidden" (a common case: Vite runs from a subfolder, the server from the
 * project root, so each created its own token file).
 */
function explainRefusal(up: IncomingMessage, res: ServerResponse, target: string, viteFrom: string): void {
  let text = ''
  up.setEncoding('utf8')
  up.on('data', (c: string) => {
    if (text.length < 65_536) text += c
  })
  up.on('end', () => {
    let body: { error?: string; tokenFrom?: string; cwd?: string } = {}
    try {
      body = JSON.parse(text) as typeof body
    } catch {}
    const serverFrom = body.tokenFrom
      ? `${body.tokenFrom}${body.cwd ? ` (working directory ${body.cwd})` : ''}`
      : 'its own settings'
    const error = /loopback/.test(body.error ?? '')
      ? `${target} refused the Vite process: ${body.error}`
      : `${target} refused the devtools token. The Vite process took its token from ${viteFrom} ` +
        `(working directory ${process.cwd()}); the server took its token from ${serverFrom}. ` +
        `Share one: set ${SHARED_TOKEN_ENV} to the same value for both processes, or pass the same string ` +
        'as cachework({ serverToken }) and devtoolsEndpoint({ token }), or start both from the project root.'
    res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify({ error, tokenMismatch: !/loopback/.test(body.error ?? '') }))
  })
}
