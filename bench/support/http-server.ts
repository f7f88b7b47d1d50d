/**
 * One server of the `http` bench suite, run in its own process so the load generator never
 * shares its event loop: `node --conditions=@cachework/source --import tsx
 * bench/support/http-server.ts <kind>`. Prints `{"port":N}` on stdout once listening.
 */
import { createRequire } from 'node:module'
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import { listenAndAnnounce } from './child.ts'
import { configureCaches } from '@cachework/core'
import { cacheMiddleware } from '@cachework/node'
import express from 'express'
import { frameworkListener } from './http-frameworks.ts'
import { PAGE } from './http-page.ts'

const PAGE_BYTES = Buffer.from(PAGE)

const fixed = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': PAGE_BYTES.length })
  res.end(PAGE_BYTES)
}

function build(kind: string): RequestListener {
  switch (kind) {
    case 'bare':
      return fixed
    case 'node-cached':
      return cacheMiddleware({ seconds: 600 })(fixed) as RequestListener
    case 'node-cached-shared':
      // locmem without value isolation (hits read the page without copying either way).
      configureCaches({ default: { backend: 'locmem', options: { isolate: false } } })
      return cacheMiddleware({ seconds: 600 })(fixed) as RequestListener
    case 'slow-view':
      return (req, res) => void setTimeout(() => fixed(req, res), 20)
    case 'express': {
      const app = express()
      app.get('/page', (_req, res) => void res.type('html').send(PAGE))
      return app
    }
    case 'express-cached': {
      const app = express()
      app.use(cacheMiddleware({ seconds: 600 }))
      app.get('/page', (_req, res) => void res.type('html').send(PAGE))
      return app
    }
    case 'express-apicache': {
      const apicache = createRequire(import.meta.url)('apicache') as {
        middleware: (duration: string) => express.RequestHandler
      }
      const app = express()
      app.use(apicache.middleware('10 minutes'))
      app.get('/page', (_req, res) => void res.type('html').send(PAGE))
      return app
    }
    default:
      throw new Error(`unknown server kind: ${kind}`)
  }
}

const kind = process.argv[2] ?? ''
const server = createServer(kind.startsWith('fw-') ? await frameworkListener(kind) : build(kind))
listenAndAnnounce(server)
