/**
 * The response-cache worker as `vite dev` serves it: a module service worker registered straight
 * from its TypeScript source (`/worker.ts`), its imports resolved by Vite through the
 * `@cachework/source` condition, with `Service-Worker-Allowed: /`. The counting
 * origin is mounted as dev-server middleware, so page, worker and API share one origin.
 */
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite'
import { type Origin, startOrigin } from '../fixtures/sw/origin.ts'

let vite: ViteDevServer
let origin: Origin
let base: string

test.beforeAll(async () => {
  origin = await startOrigin()
  vite = await createServer({
    configFile: false,
    logLevel: 'warn',
    root: fileURLToPath(new URL('../fixtures/sw/', import.meta.url)),
    resolve: { conditions: ['@cachework/source', ...defaultClientConditions] },
    // Pre-bundle the CommonJS/ESM dependencies up front: a discovery mid-test would reload the page.
    optimizeDeps: { noDiscovery: true, include: ['idb', 'localforage'] },
    server: { host: '127.0.0.1', port: 0, cors: false, headers: { 'Service-Worker-Allowed': '/' } },
    plugins: [
      {
        name: 'sw-origin',
        configureServer(server) {
          server.middlewares.use((req, res, next) => {
            const path = (req.url ?? '/').split('?')[0] ?? '/'
            if (path.startsWith('/api/') || path === '/__count') origin.handle(req, res)
            else next()
          })
        },
      },
    ],
  })
  await vite.listen()
  const address = vite.httpServer?.address()
  if (!address || typeof address === 'string') throw new Error('vite did not listen on a port')
  base = `http://127.0.0.1:${address.port}`
})

test.afterAll(async () => {
  await vite?.close()
  await origin?.close()
})

test('a module worker served from source by vite dev caches fresh responses', async ({ page }) => {
  await page.goto(`${base}/dev.html?sw=/worker.ts`)
  expect(await page.evaluate(() => window.cwReady)).toBe(true)
  const path = `/api/dev-${Date.now().toString(36)}`
  origin.routes.set(path, { headers: { 'cache-control': 'max-age=600' } })
  const fetchTwice = await page.evaluate(async (p) => {
    const out: Array<string | null> = []
    for (let i = 0; i < 2; i++) out.push((await fetch(p)).headers.get('x-cachework-sw'))
    return out
  }, path)
  expect(fetchTwice).toEqual(['miss', 'hit'])
  expect(origin.count(path).hits).toBe(1)
  const entries = await page.evaluate(() => window.cw?.list())
  expect(entries?.map((e) => e.url)).toEqual([`${base}${path}`])
})
