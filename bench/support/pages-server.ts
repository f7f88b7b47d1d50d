/**
 * One server of the `pages` bench suite, in its own process: `pages-server.ts <kind>`. Every
 * kind answers `/page/<i>` with a distinct ~2 KiB HTML page (the same bytes for the same `i`
 * everywhere), so the page cache holds as many entries as there are URLs. `/__rss` (outside
 * any cache) answers the process's resident set size after a GC. Prints `{"port":N}` once
 * listening.
 */
import { createRequire } from 'node:module'
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { configureCaches } from '@cachework/core'
import { cacheMiddleware } from '@cachework/node'
import express from 'express'

/** The page for URL `/page/<i>`: ~2 KiB of HTML. */
export function pageFor(i: string): string {
  return `<!doctype html><html><head><title>page ${i}</title></head><body>${`<p>cachework bench page ${i}</p>`.repeat(64).slice(0, 1900)}</body></html>`
}

const view = (req: IncomingMessage, res: ServerResponse): void => {
  const body = Buffer.from(pageFor((req.url ?? '').slice('/page/'.length)))
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length })
  res.end(body)
}

function rss(res: ServerResponse): void {
  ;(globalThis as { gc?: () => void }).gc?.()
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify({ rss: process.memoryUsage().rss }))
}

function build(kind: string): RequestListener {
  // Enough room for every URL: the default of 300 entries would cull (rule 11).
  configureCaches({ default: { backend: 'locmem', options: { maxEntries: 100_000 } } })
  const expressApp = (use?: express.RequestHandler) => {
    const app = express()
    app.get('/__rss', (_req, res) => rss(res))
    if (use) app.use(use)
    app.get('/page/:i', (req, res) => void res.type('html').send(pageFor(String(req.params.i))))
    return app
  }
  switch (kind) {
    case 'bare':
      return (req, res) => (req.url === '/__rss' ? rss(res) : view(req, res))
    case 'node-cached': {
      const cached = cacheMiddleware({ seconds: 600 })(view) as RequestListener
      return (req, res) => (req.url === '/__rss' ? rss(res) : cached(req, res))
    }
    case 'express':
      return expressApp()
    case 'express-cached':
      return expressApp(cacheMiddleware({ seconds: 600 }) as unknown as express.RequestHandler)
    case 'express-apicache': {
      const apicache = createRequire(import.meta.url)('apicache') as {
        middleware: (duration: string) => express.RequestHandler
      }
      return expressApp(apicache.middleware('10 minutes'))
    }
    default:
      throw new Error(`unknown server kind: ${kind}`)
  }
}

const server = createServer(build(process.argv[2] ?? ''))
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
