/**
 * One server of the `pages` bench suite, in its own process: `pages-server.ts <kind>`. Every
 * kind answers `/page/<i>` with a distinct ~2 KiB HTML page (the same bytes for the same `i`
 * everywhere), so a page cache holds as many entries as there are URLs. `/__stats` (outside any
 * cache) answers, after a GC, the process's resident set size and how many times the view has
 * run, so the suite can check that every timed request was a cache hit. Prints `{"port":N}`
 * once listening.
 *
 * Kinds: `bare` (the view renders every page), `bare-bytes` (the pages rendered once up front
 * and written from a Map of Buffers: the least a server can do), `cached` (the view behind
 * cachework's `cacheMiddleware`, locmem); the framework kinds render the same page bytes from a
 * `/page/:i` route: `hono` (Hono on `@hono/node-server`), `hono-app` (that app behind
 * cachework's `cacheApp`, locmem), `fastify`, `fastify-cached` (cachework's Fastify plugin,
 * locmem, every route).
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import { configureCaches } from '@cachework/core'
import { cacheMiddleware } from '@cachework/node'
import { cacheApp } from '@cachework/core/hono'
import { fastifyCache } from '@cachework/node/fastify'
import { getRequestListener } from '@hono/node-server'
import type { FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { listenAndAnnounce } from './child.ts'
import { fastifyListener } from './http-frameworks.ts'

const HTML = 'text/html; charset=utf-8'

/** The page for URL `/page/<i>`: ~2 KiB of HTML. */
export function pageFor(i: string): string {
  return `<!doctype html><html><head><title>page ${i}</title></head><body>${`<p>cachework bench page ${i}</p>`.repeat(64).slice(0, 1900)}</body></html>`
}

/** How many times a view has rendered a page (reported by `/__stats`). */
let views = 0

const view = (req: IncomingMessage, res: ServerResponse): void => {
  views++
  const body = Buffer.from(pageFor((req.url ?? '').slice('/page/'.length)))
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length })
  res.end(body)
}

function stats(res: ServerResponse): void {
  ;(globalThis as { gc?: () => void }).gc?.()
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify({ rss: process.memoryUsage().rss, views }))
}

/** Hono's app: its view renders the page of `/page/:i` (counted like the node:http view). */
function honoApp(): Hono {
  return new Hono().get('/page/:i', (c) => {
    views++
    return c.body(pageFor(c.req.param('i')), 200, { 'content-type': HTML })
  })
}

/** Fastify's route for `/page/:i`, rendering like the others. */
function fastifyRoute(app: FastifyInstance): void {
  app.get<{ Params: { i: string } }>('/page/:i', (req, reply) => {
    views++
    reply.type(HTML).send(pageFor(req.params.i))
  })
}

/** Room for every URL in locmem: the default of 300 entries would cull (rule 11). */
function roomFor(urls: number): void {
  configureCaches({ default: { backend: 'locmem', options: { maxEntries: urls * 10 } } })
}

async function build(kind: string, urls: number): Promise<RequestListener> {
  switch (kind) {
    case 'bare':
      return view
    case 'bare-bytes': {
      const pages = new Map<string, Buffer>()
      for (let i = 0; i < urls; i++) pages.set(`/page/${i}`, Buffer.from(pageFor(String(i))))
      return (req, res) => {
        const body = pages.get(req.url ?? '')
        if (!body) return view(req, res)
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length })
        res.end(body)
      }
    }
    case 'cached':
      roomFor(urls)
      return cacheMiddleware({ seconds: 600 })(view) as RequestListener
    case 'hono':
      return getRequestListener(honoApp().fetch)
    case 'hono-app':
      roomFor(urls)
      return getRequestListener(cacheApp(honoApp(), { seconds: 600 }).fetch)
    case 'fastify':
      return fastifyListener(async (app) => fastifyRoute(app))
    case 'fastify-cached':
      roomFor(urls)
      return fastifyListener(async (app) => {
        await app.register(fastifyCache, { seconds: 600, global: true })
        fastifyRoute(app)
      })
    default:
      throw new Error(`unknown server kind: ${kind}`)
  }
}

const handler = await build(process.argv[2] ?? '', Number(process.argv[3] ?? 10_000))
listenAndAnnounce(createServer((req, res) => (req.url === '/__stats' ? stats(res) : handler(req, res))))
