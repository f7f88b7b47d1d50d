/**
 * Start the playground: Express and Vite (middleware mode) in one process on one port, so the
 * devtools panel sees the server's caches in-process. `PORT` (default 5173) and `HOST`
 * (default 127.0.0.1) choose the address; it prints the URL once it listens. With
 * `NODE_ENV=production` it serves the client built by `vite build` (playground/dist, or
 * `CACHEWORK_PLAYGROUND_DIST`) instead: no Vite, no devtools.
 */
import { createServer as createHttpServer } from 'node:http'
import { join } from 'node:path'
import { configureCaches } from '@cachework/core'
// Registers the memcached, db and file backends.
import '@cachework/node'
import express from 'express'
import { createServer as createViteServer, type ViteDevServer } from 'vite'
import { type ClientAssets, createApp, DEV_ASSETS } from './app.ts'
import { describeCaches, playgroundCaches } from './caches.ts'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT || 5173)
const root = join(import.meta.dirname, '..')

const config = playgroundCaches()
configureCaches(config)

const outer = express()
outer.disable('x-powered-by')
const server = createHttpServer(outer)
const production = process.env.NODE_ENV === 'production'
let vite: ViteDevServer | undefined
if (production) {
  // `vite build` wrote dist/main.js, dist/sw.js and their chunks (see vite.config.ts).
  const dist = process.env.CACHEWORK_PLAYGROUND_DIST || join(root, 'dist')
  outer.use('/src/style.css', express.static(join(root, 'src', 'style.css')))
  outer.use(express.static(dist, { index: false }))
  const assets: ClientAssets = { script: '/main.js', serviceWorker: '/sw.js' }
  outer.use(createApp({ assets, described: describeCaches(config) }))
} else {
  vite = await createViteServer({
    root,
    configFile: join(root, 'vite.config.ts'),
    // Node imports the config itself (through tsx, with the @cachework/source condition), so the
    // devtools plugin runs from its TypeScript source rather than a possibly stale dist build.
    configLoader: 'native',
    appType: 'custom',
    server: { middlewareMode: true, ws: { server } },
  })
  const dev = vite
  // The worker script lives under /src but controls the whole site (scope /).
  outer.use(DEV_ASSETS.serviceWorker, (_req, res, next) => {
    res.setHeader('Service-Worker-Allowed', '/')
    next()
  })
  // Vite first (client modules under /src, /@vite, /node_modules), then the site's routes.
  outer.use(dev.middlewares)
  outer.use(
    createApp({
      transformHtml: (url, html) => dev.transformIndexHtml(url, html),
      described: describeCaches(config),
    }),
  )
}

server.listen(port, host, () => {
  console.log(
    `The Cachework Courier (cachework playground) is running (${production ? 'production build' : 'development, with the devtools panel'}).`,
  )
  console.log('Caches:')
  for (const c of describeCaches(config))
    console.log(`  ${c.alias.padEnd(19)} ${c.backend.padEnd(10)} ${c.location}`)
  console.log(`\n  ➜  http://${host}:${port}/\n`)
})

function shutdown(): void {
  server.close()
  void (vite?.close() ?? Promise.resolve()).finally(() => process.exit(0))
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
