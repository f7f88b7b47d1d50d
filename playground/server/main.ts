/**
 * Start the playground: Express and Vite (middleware mode) in one process on one port, so the
 * devtools panel sees the server's caches in-process. `PORT` (default 5173) and `HOST`
 * (default 127.0.0.1) choose the address; it prints the URL once it listens.
 */
import { createServer as createHttpServer } from 'node:http'
import { join } from 'node:path'
import { configureCaches } from '@cachework/core'
// Registers the memcached, db and file backends.
import '@cachework/node'
import express from 'express'
import { createServer as createViteServer } from 'vite'
import { createApp } from './app.ts'
import { describeCaches, playgroundCaches } from './caches.ts'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 5173)
const root = join(import.meta.dirname, '..')

const config = playgroundCaches()
configureCaches(config)

const outer = express()
outer.disable('x-powered-by')
const server = createHttpServer(outer)
const vite = await createViteServer({
  root,
  configFile: join(root, 'vite.config.ts'),
  // Node imports the config itself (through tsx, with the @cachework/source condition), so the
  // devtools plugin runs from its TypeScript source rather than a possibly stale dist build.
  configLoader: 'native',
  appType: 'custom',
  server: { middlewareMode: true, ws: { server } },
})
// The worker script lives under /src but controls the whole site (scope /).
outer.use('/src/sw.ts', (_req, res, next) => {
  res.setHeader('Service-Worker-Allowed', '/')
  next()
})
// Vite first (client modules under /src, /@vite, /node_modules), then the site's routes.
outer.use(vite.middlewares)
outer.use(
  createApp({
    transformHtml: (url, html) => vite.transformIndexHtml(url, html),
    described: describeCaches(config),
  }),
)

server.listen(port, host, () => {
  console.log('The Cachework Courier (cachework playground) is running.')
  console.log('Caches:')
  for (const c of describeCaches(config))
    console.log(`  ${c.alias.padEnd(19)} ${c.backend.padEnd(10)} ${c.location}`)
  console.log(`\n  ➜  http://${host}:${port}/\n`)
})

function shutdown(): void {
  server.close()
  void vite.close().finally(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
