/**
 * One origin for specs that open several tabs: a Vite dev server started on a free loopback
 * port that serves the package source (the `@cachework/source` condition, as in the root vitest
 * config) and one empty HTML page the tabs load before they import the backends.
 */
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, defaultClientConditions } from 'vite'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** This checkout's own tag, for its Vite dependency caches. */
const checkoutTag = createHash('sha256').update(root).digest('hex').slice(0, 12)

/** A running origin: its base URL, and how to stop it. */
export interface TabOrigin {
  /** `http://127.0.0.1:<port>`. */
  base: string
  close(): Promise<void>
}

/** What the origin serves. */
export interface TabOriginOptions {
  /** Names the Vite cache directory and the page plugin (one per spec). */
  name: string
  /** The path of the empty page (`/tabs`). */
  path: string
  /** Its `<title>`. */
  title: string
  /** Dependencies pre-bundled up front: one discovered mid-test would make Vite reload the page. */
  deps: string[]
}

/** Start the origin. */
export async function startTabOrigin(o: TabOriginOptions): Promise<TabOrigin> {
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    // Named after this checkout too, so two checkouts testing at once keep apart.
    cacheDir: join(tmpdir(), `cachework-e2e-${o.name}-${checkoutTag}`),
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    resolve: { conditions: ['@cachework/source', ...defaultClientConditions] },
    optimizeDeps: { include: o.deps, noDiscovery: true },
    plugins: [
      {
        name: `cachework-${o.name}-page`,
        configureServer(s) {
          s.middlewares.use(o.path, (_req, res) => {
            res.setHeader('content-type', 'text/html')
            res.end(`<!doctype html><meta charset="utf-8"><title>${o.title}</title>`)
          })
        },
      },
    ],
  })
  await server.listen()
  const addr = server.httpServer?.address() as AddressInfo
  return { base: `http://127.0.0.1:${addr.port}`, close: () => server.close() }
}
