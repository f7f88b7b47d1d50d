/**
 * The Node wrappers as Express 5 decorators and route middleware, the two-ended placement, an
 * unavailable cache, and the hit path's keys against core's, all through real sockets.
 */
import { createServer as netServer } from 'node:net'
import '@cachework/node'
import { caches, configureCaches } from '@cachework/core'
import { pageCacheKey, varyHeaderList } from '@cachework/core/http'
import express from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { absoluteUrl, toFetchRequest } from '../src/http-bridge.ts'
import { nodeRequestView } from '../src/http-request.ts'
import {
  cacheControl,
  cacheMiddleware,
  cachePage,
  fetchFromCacheMiddleware,
  neverCache,
  updateCacheMiddleware,
  varyOnCookie,
  varyOnHeaders,
} from '../src/http.ts'
import { get, listen, type Running, rawRequest, rawTarget, uniquePath } from './http-support.ts'

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})

async function serve(app: Parameters<typeof listen>[0]): Promise<string> {
  const r = await listen(app)
  running.push(r)
  return r.url
}

/** A port nothing listens on: taken from the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

describe('Express 5 per-view wrappers', () => {
  it('caches a view with cachePage(900)(view) and with cachePage(900), view', async () => {
    let runs = 0
    const view = (req: express.Request, res: express.Response) => {
      runs += 1
      res.send(`item ${req.params.id} #${runs}`)
    }
    const app = express()
    app.get('/wrapped/:id', cachePage(900)(view))
    app.get('/chained/:id', cachePage(900), view)
    const base = await serve(app)
    for (const form of ['wrapped', 'chained']) {
      runs = 0
      const id = uniquePath('').slice(1)
      const url = `${base}/${form}/${id}`
      const a = await get(url)
      expect(a.body).toBe(`item ${id} #1`)
      expect(a.res.headers.get('cache-control')).toBe('max-age=900')
      const b = await get(url)
      expect(b.body).toBe(`item ${id} #1`)
      expect(b.res.headers.get('age')).not.toBeNull()
      expect((await get(`${base}/${form}/${id}x`)).body).toBe(`item ${id}x #2`)
    }
  })

  it("cachePage's timeout beats max-age for storage; the header keeps the smaller one", async () => {
    let runs = 0
    const app = express()
    app.get(
      '/short/:id',
      cachePage(3)(
        cacheControl({ maxAge: 100 })((_req: express.Request, res: express.Response) => {
          runs += 1
          res.send('short')
        }),
      ),
    )
    const url = `${await serve(app)}/short${uniquePath('')}`
    const a = await get(url)
    expect(a.res.headers.get('cache-control')).toBe('max-age=3')
    await get(url)
    expect(runs).toBe(1)
  })

  it('applies cacheControl, neverCache, varyOnHeaders and varyOnCookie as decorators and as middleware', async () => {
    const app = express()
    const send = (_req: express.Request, res: express.Response) => void res.send('ok')
    app.get('/cc-mw', cacheControl({ maxAge: 60, public: true }), send)
    app.get('/cc-deco', cacheControl({ maxAge: 60, public: true })(send))
    app.get('/never-mw', neverCache, send)
    app.get('/never-deco', neverCache(send))
    app.get('/vary-mw', varyOnHeaders('Accept-Language', 'X-Thing'), varyOnCookie, send)
    app.get('/vary-deco', varyOnCookie(varyOnHeaders('Accept-Language', 'X-Thing')(send)))
    const base = await serve(app)
    for (const form of ['mw', 'deco']) {
      expect((await get(`${base}/cc-${form}`)).res.headers.get('cache-control')).toBe('max-age=60, public')
      const never = (await get(`${base}/never-${form}`)).res.headers
      expect(never.get('cache-control')).toBe('max-age=0, no-cache, no-store, must-revalidate, private')
      expect(never.get('expires')).toMatch(/GMT$/)
      // Like stacked Django decorators, the wrapper nearest the view patches first.
      const vary = form === 'mw' ? 'Cookie, Accept-Language, X-Thing' : 'Accept-Language, X-Thing, Cookie'
      expect((await get(`${base}/vary-${form}`)).res.headers.get('vary')).toBe(vary)
    }
  })

  it('lets a wrapper outside cachePage patch hits too, as an outer Django decorator would', async () => {
    let runs = 0
    const app = express()
    app.get('/outer/:id', neverCache, cachePage(60), (_req, res) => {
      runs += 1
      res.send('outer')
    })
    const url = `${await serve(app)}/outer${uniquePath('')}`
    const never = 'max-age=0, no-cache, no-store, must-revalidate, private'
    expect((await get(url)).res.headers.get('cache-control')).toBe(never)
    const hit = await get(url)
    expect(hit.body).toBe('outer')
    expect(hit.res.headers.get('age')).not.toBeNull()
    expect(hit.res.headers.get('cache-control')).toBe(never)
    expect(runs).toBe(1)
  })

  it('wraps a plain node:http handler: http.createServer(cachePage(900)(view))', async () => {
    let runs = 0
    const base = await serve(
      cachePage(900)((_req, res) => {
        runs += 1
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<p>node</p>')
      }),
    )
    const url = base + uniquePath()
    await get(url)
    const b = await get(url)
    expect(b.body).toBe('<p>node</p>')
    expect(b.res.headers.get('content-type')).toBe('text/html')
    expect(runs).toBe(1)
  })

  it('serves a view error through the error handler and never stores it', async () => {
    let runs = 0
    const app = express()
    app.get('/boom/:id', cachePage(900), async () => {
      runs += 1
      throw new Error('boom')
    })
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send(`handled ${err.message}`)
    })
    const url = `${await serve(app)}/boom${uniquePath('')}`
    const a = await get(url)
    expect(a.res.status).toBe(500)
    expect(a.body).toBe('handled boom')
    await get(url)
    expect(runs).toBe(2)
  })

  it('runs the view once for 200 concurrent requests to a cold cachePage route', async () => {
    let runs = 0
    const app = express()
    app.get('/cold/:id', cachePage(60), (_req, res) => {
      runs += 1
      setTimeout(() => res.send('cold page'), 50)
    })
    const url = `${await serve(app)}/cold${uniquePath('')}`
    const bodies = await Promise.all(Array.from({ length: 200 }, () => get(url).then((r) => r.body)))
    expect(new Set(bodies)).toEqual(new Set(['cold page']))
    expect(runs).toBe(1)
  })
})

describe('two-ended placement (UpdateCacheMiddleware first, FetchFromCacheMiddleware last)', () => {
  it('learns the Vary a middleware between them adds, and stores nothing without the fetch half', async () => {
    let runs = 0
    const app = express()
    app.use(updateCacheMiddleware({ seconds: 120 }))
    // Like GZipMiddleware: between the halves, adds Accept-Encoding to Vary on the way out.
    app.use(varyOnHeaders('Accept-Encoding'))
    app.use(fetchFromCacheMiddleware({ seconds: 120 }))
    app.get('/two/:id', (req, res) => {
      runs += 1
      res.send(`enc ${req.headers['accept-encoding']} #${runs}`)
    })
    const onlyUpdate = express()
    onlyUpdate.use(updateCacheMiddleware())
    onlyUpdate.get('/u/:id', (_req, res) => {
      runs += 1
      res.send('u')
    })
    const base = await serve(app)
    const url = `${base}/two${uniquePath('')}`
    const gz = { headers: { 'accept-encoding': 'gzip' } }
    const br = { headers: { 'accept-encoding': 'br' } }
    expect((await get(url, gz)).body).toBe('enc gzip #1')
    expect((await get(url, br)).body).toBe('enc br #2')
    const again = await get(url, gz)
    expect(again.body).toBe('enc gzip #1')
    expect(again.res.headers.get('vary')).toBe('Accept-Encoding')
    expect(again.res.headers.get('cache-control')).toBe('max-age=120')
    expect(runs).toBe(2)

    runs = 0
    const u = `${await serve(onlyUpdate)}/u${uniquePath('')}`
    await get(u)
    await get(u)
    expect(runs).toBe(2)
  })
})

describe('an unavailable cache', () => {
  beforeAll(async () => {
    configureCaches({
      default: { backend: 'locmem' },
      down: {
        backend: 'memcached',
        location: `127.0.0.1:${await closedPort()}`,
        options: { timeoutMs: 300 },
      },
    })
  })
  afterAll(async () => {
    await caches.closeAll()
    configureCaches({ default: { backend: 'locmem' } })
  })

  it('still serves every page (memcached alias on a closed port)', async () => {
    let runs = 0
    const errors: unknown[] = []
    const app = express()
    app.use(cacheMiddleware({ alias: 'down', onError: (e) => errors.push(e) }))
    app.get('/p/:id', (_req, res) => {
      runs += 1
      res.send(`served ${runs}`)
    })
    const url = `${await serve(app)}/p${uniquePath('')}`
    expect((await get(url)).body).toBe('served 1')
    const b = await get(url)
    expect(b.res.status).toBe(200)
    expect(b.body).toBe('served 2')
    expect(errors.length).toBeGreaterThan(0)
  })
})

describe('hit-path keys', () => {
  it('equal core’s page keys for the same request (one key function, through a RequestView)', async () => {
    const lists = [[], ['HTTP_COOKIE'], ['HTTP_ACCEPT_LANGUAGE', 'HTTP_X_MISSING']]
    const base = await serve((req, res) => {
      const view = nodeRequestView(req)
      if (view === undefined) return res.end('bad host')
      const request = toFetchRequest(req, absoluteUrl(req))
      const same = lists.every(
        (l) =>
          pageCacheKey(view, 'GET', l, { keyPrefix: 'pfx' }) ===
          pageCacheKey(request, 'GET', l, { keyPrefix: 'pfx' }),
      )
      res.end(`${same} ${view.url}`)
    })
    const port = new URL(base).port
    // Plain URLs: the Node view keys exactly as core keys the Fetch Request (Django's keys).
    const cases: [string, Record<string, string>][] = [
      ['/plain/path?a=1&b=x+y', { cookie: 'a=1; b=2', 'accept-language': 'fr' }],
      ['/caf%C3%A9/?', {}],
      ['/c?q=%20', { cookie: 'é' }],
      ['/x', { host: `127.0.0.1:${port}` }],
      ['/x', { host: 'EXAMPLE.com:80' }],
    ]
    for (const [path, headers] of cases) {
      const r = await rawRequest(`${base}${path}`, headers)
      expect(r.body, path).toMatch(/^true /)
    }
    // Dot-segments and backslashes are keyed as the router sees them, never re-normalised to
    // another route's key (docs/contract.md rule 20).
    for (const path of ['/a/./b/../c', '/user/%2e%2e', '/user/x\\..\\']) {
      const r = await rawTarget(base, path)
      expect(r.body, path).toMatch(/^false /)
      expect(r.body.slice(6)).toBe(`http://127.0.0.1:${port}${path}`)
    }
    expect(varyHeaderList(new Response('', { headers: { vary: 'Cookie' } }))).toEqual(['HTTP_COOKIE'])
  })
})

describe('what a handler writes is captured faithfully', () => {
  it('keeps writeHead raw headers, status message, chunked writes, callbacks and header lists', async () => {
    let runs = 0
    const callbacks: string[] = []
    const base = await serve(
      cacheMiddleware()((_req, res) => {
        runs += 1
        res.setHeader('x-list', ['a=1', 'b=2'])
        res.writeHead(200, 'Fine', ['x-a', '1', 'x-b', '2'])
        res.write('hello ', () => callbacks.push('write'))
        res.write(Buffer.from('wor'))
        res.end('ld', () => callbacks.push('end'))
      }),
    )
    const url = base + uniquePath()
    for (let i = 0; i < 2; i++) {
      const r = await rawRequest(url)
      expect(r.body).toBe('hello world')
      expect(r.headers['x-a']).toBe('1')
      expect(r.headers['x-b']).toBe('2')
      expect(r.headers['x-list']).toBe('a=1, b=2')
      if (i === 1) expect(r.headers.age).toBeDefined()
    }
    expect(runs).toBe(1)
    expect(callbacks).toEqual(['write', 'end'])
  })
})

describe('the Express hit path', () => {
  it('keeps X-Powered-By and every value of a list header, and serves a replaced page, not the old one', async () => {
    let runs = 0
    const app = express()
    app.use(cacheMiddleware())
    app.get('/cookies', (_req, res) => {
      runs += 1
      res.setHeader('x-list', ['a=1', 'b=2'])
      res.setHeader('x-run', String(runs))
      res.send(`run ${runs}`)
    })
    const base = await serve(app)
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 3; i++) {
        const r = await rawRequest(`${base}/cookies`)
        expect(r.body).toBe(`run ${round}`)
        expect(r.headers['x-run']).toBe(String(round))
        expect(r.headers['x-powered-by']).toBe('Express')
        expect(r.headers['x-list']).toBe('a=1, b=2')
        expect(r.headers.age === undefined).toBe(i === 0)
      }
      expect(runs).toBe(round)
      await caches.get('default').clear()
    }
  })

  it('sends a cached body byte for byte, small (one string write) and large (a buffer)', async () => {
    const small = Buffer.from(Array.from({ length: 256 }, (_, i) => i)) // every byte value
    const large = Buffer.alloc(40_000, small) // past the one-string size
    const app = express()
    app.use(cacheMiddleware())
    app.get('/small', (_req, res) => void res.type('application/octet-stream').send(small))
    app.get('/large', (_req, res) => void res.type('application/octet-stream').send(large))
    const base = await serve(app)
    for (const [path, bytes] of [
      ['/small', small],
      ['/large', large],
    ] as const) {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${base}${path}`)
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes), `${path} #${i}`).toBe(true)
        expect(res.headers.get('content-length')).toBe(String(bytes.length))
        expect(res.headers.get('age') === null).toBe(i === 0)
      }
      const head = await fetch(`${base}${path}`, { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe(String(bytes.length))
      expect((await head.arrayBuffer()).byteLength).toBe(0)
    }
  })
})
