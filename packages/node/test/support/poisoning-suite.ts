/**
 * The HTTP poisoning suite: one set of attacks every HTTP adapter runs unchanged, through real
 * sockets (docs/security.md, docs/contract.md rule 20). An attacker's request must never
 * change what a later, ordinary request gets: crafted `Host` (a fragment, a path, credentials),
 * an unlisted host, absolute-form request targets, forwarded headers, dot-segments and
 * backslashes, fragments in the target, `Set-Cookie` on a shared entry, and header injection
 * through a page someone wrote into the store.
 *
 * Its server factory has the shape of the adapter conformance suite's
 * (`(routes, options) => Promise<{ baseUrl, close }>`, support/adapter-conformance.ts), with
 * two additions an adapter harness fills in from its framework: a route path may hold
 * `:name` parameters, and a view sees `params`, `host` and `protocol` as the framework
 * routes on them (so a view renders what the application would).
 */
import '../../src/index.ts'
import { type Cache, createCaches } from '@cachework/core'
import {
  type CacheMiddlewareOptions,
  cacheHeaderKey,
  pageCacheKey,
  type StoredResponse,
} from '@cachework/core/http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RequestTrustOptions } from '../../src/http-request.ts'
import { type RawResponse, rawTarget } from '../http-support.ts'

/** The request a poisoning-suite view sees, as the framework routes on it. */
export interface PoisonRequest {
  method: string
  /** Path and query as the framework gives them to the view. */
  url: string
  /** Request headers, names lower-case. */
  headers: Record<string, string>
  /** The route's `:name` parameters, decoded as the framework decodes them. */
  params: Record<string, string>
  /** The host the framework says the request is for (Express `req.host`; trusted proxies included). */
  host: string
  /** `http` or `https`, as the framework sees it (Express `req.protocol`). */
  protocol: string
  /** The query string's `q` parameter, if any. */
  query: Record<string, string>
}

/** What a view answers. */
export interface PoisonReply {
  status?: number
  headers?: Record<string, string | string[]>
  body?: string
}

/** One GET route; `path` may hold `:name` segments. */
export interface PoisonRoute {
  path: string
  view(req: PoisonRequest): PoisonReply
}

/** The options an adapter passes to its cache wrapper, plus whether the framework trusts proxies. */
export type PoisonOptions = CacheMiddlewareOptions &
  RequestTrustOptions & {
    /** The framework should trust `X-Forwarded-*` (Express `app.set('trust proxy', true)`). */
    trustProxy?: boolean
  }

/** A server an adapter started for the suite. */
export interface PoisonServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  close(): Promise<void>
}

/** Start `routes` behind the adapter's page cache, configured with `options`. */
export type StartPoisonServer = (routes: PoisonRoute[], options: PoisonOptions) => Promise<PoisonServer>

/** Match `path` (no query) against a route pattern with `:name` segments (for hand-rolled harnesses). */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const ps = pattern.split('/')
  const xs = path.split('/')
  if (ps.length !== xs.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i] as string
    const x = xs[i] as string
    if (p.startsWith(':')) {
      if (x === '') return undefined
      try {
        params[p.slice(1)] = decodeURIComponent(x)
      } catch {
        return undefined
      }
    } else if (p !== x) return undefined
  }
  return params
}

let sessions = 0

/** The suite's routes; `runs` counts view runs per route path. */
function routes(runs: Map<string, number>): PoisonRoute[] {
  const count = (path: string, view: PoisonRoute['view']): PoisonRoute => ({
    path,
    view: (req) => {
      runs.set(path, (runs.get(path) ?? 0) + 1)
      return view(req)
    },
  })
  return [
    count('/', () => ({ body: 'home' })),
    count('/user/:name', (req) => ({ body: `profile of ${req.params.name}` })),
    count('/search', (req) => ({ body: `results for ${req.query.q ?? ''}` })),
    count('/links', (req) => ({ body: `<a href="${req.protocol}://${req.host}/next">next</a>` })),
    count('/session', () => {
      sessions += 1
      return { headers: { 'set-cookie': `session=s${sessions}; HttpOnly` }, body: `welcome s${sessions}` }
    }),
    count('/stored', () => ({ body: 'fresh' })),
  ]
}

/** What an adapter's framework brings to the suite. */
export interface PoisoningSuiteOptions {
  /**
   * The framework has a proxy setting of its own (Express `trust proxy`, Fastify `trustProxy`,
   * Koa `app.proxy`) that the adapter follows: then `trustProxy` alone must key what it changes.
   */
  frameworkTrust?: boolean
}

/**
 * Run the poisoning suite for one adapter. `name` labels the describe block; `startServer`
 * serves the routes it is given behind the adapter's page cache with the options it is given.
 */
export function poisoningSuite(
  name: string,
  startServer: StartPoisonServer,
  suiteOptions: PoisoningSuiteOptions = {},
): void {
  describe(`HTTP poisoning: ${name}`, () => {
    const registry = createCaches({
      default: { backend: 'locmem', location: `poison-${name}-${process.pid}` },
    })
    const cache: Cache = registry.get('default')
    const runs = new Map<string, number>()
    const servers: PoisonServer[] = []
    let plain: PoisonServer
    let port: string

    const start = async (options: Partial<PoisonOptions> = {}): Promise<PoisonServer> => {
      const s = await startServer(routes(runs), { alias: cache, ...options })
      servers.push(s)
      return s
    }

    beforeAll(async () => {
      plain = await start()
      port = new URL(plain.baseUrl).port
    })
    afterEach(async () => {
      await cache.clear()
      runs.clear()
    })
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.close()))
      await registry.closeAll()
    })

    const send = (target: string, headers: Record<string, string> = {}, s = plain): Promise<RawResponse> =>
      rawTarget(s.baseUrl, target, headers)

    it('S1: a Host holding a fragment or a path is a 400, and never becomes another page', async () => {
      for (const host of [`127.0.0.1:${port}#`, `127.0.0.1:${port}/user/alice#`, `127.0.0.1:${port}/`]) {
        const attack = await send('/search?q=<script>x</script>', { host })
        expect(attack.status, host).toBe(400)
        expect(attack.body).not.toContain('<script>')
      }
      expect((await send('/')).body).toBe('home')
      expect((await send('/user/alice')).body).toBe('profile of alice')
      expect(runs.get('/search')).toBeUndefined()
    })

    it('a Host with credentials, spaces or an unknown scheme port is a 400, not a 500', async () => {
      for (const host of [
        `evil@127.0.0.1:${port}`,
        `127.0.0.1:${port} x`,
        `127.0.0.1:99999`,
        'a_b.example',
      ]) {
        const r = await send('/', { host })
        expect(r.status, host).toBe(400)
      }
      expect((await send('/')).body).toBe('home')
    })

    it('allowedHosts: an unlisted host is a 400 that never reaches the cache or the view', async () => {
      const s = await start({ allowedHosts: ['127.0.0.1', '.example.com'] })
      expect((await send('/search?q=1', { host: 'evil.example' }, s)).status).toBe(400)
      expect(runs.get('/search')).toBeUndefined()
      expect((await send('/search?q=1', { host: 'www.example.com' }, s)).body).toBe('results for 1')
      expect((await send('/search?q=1', {}, s)).body).toBe('results for 1')
      const keys: string[] = []
      for await (const e of cache.entries()) keys.push(e.rawKey)
      expect(keys.length).toBeGreaterThan(0)
      expect(runs.get('/search')).toBe(2)
    })

    it('S2: an absolute-form target whose authority is not the Host poisons nothing', async () => {
      const attack = await send(`http://127.0.0.1:${port}/links`, { host: 'evil.example' })
      // The Node adapters answer 400 (the app would see one host, the target names another); a
      // Fetch bridge that takes the target's URL renders the real host. Either way: not stored.
      if (attack.status !== 400) expect(attack.body).not.toContain('evil.example')
      const ok = await send(`http://127.0.0.1:${port}/links`, { host: `127.0.0.1:${port}` })
      expect(ok.status).toBe(200)
      expect(ok.body).toContain(`//127.0.0.1:${port}/next`)
      expect((await send('/links')).body).toBe(`<a href="http://127.0.0.1:${port}/next">next</a>`)
    })

    it('S3: dot-segments and backslashes are keyed as the router sees them', async () => {
      // Express and node:http route this to /user/:name ("profile of .."); a Fetch router sees
      // the WHATWG-resolved `/`. Either way the next visitor of `/` gets the home page.
      const dots = await send('/user/%2e%2e')
      expect(['profile of ..', 'home']).toContain(dots.body)
      expect((await send('/')).body).toBe('home')
      await send('/user/x\\..\\')
      await send('/user/.%2e/')
      const home = await send('/')
      expect(home.body).toBe('home')
      const user = await send('/user/')
      expect(user.body).not.toContain('profile of x')
    })

    it('a fragment in the raw target never lands on another route', async () => {
      await send('/user/bob#/../../')
      expect((await send('/')).body).toBe('home')
      expect((await send('/user/bob')).body).toBe('profile of bob')
    })

    it('S4: untrusted X-Forwarded-Host/Proto change neither the page nor the key', async () => {
      const attack = await send('/links', {
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      })
      expect(attack.body).not.toContain('evil.example')
      expect((await send('/links')).body).toBe(`<a href="http://127.0.0.1:${port}/next">next</a>`)
    })

    it('S4: trusted X-Forwarded-Host/Proto key the page they change', async () => {
      const s = await start({ trustProxy: true, trustForwardedHost: true, trustForwardedProto: true })
      const sPort = new URL(s.baseUrl).port
      const attack = await send(
        '/links',
        { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
        s,
      )
      expect(attack.body).toContain('https://evil.example/next')
      const again = await send('/links', {}, s)
      expect(again.body).toBe(`<a href="http://127.0.0.1:${sPort}/next">next</a>`)
      const proto = await send('/links', { 'x-forwarded-proto': 'https' }, s)
      expect(proto.body).toBe(`<a href="https://127.0.0.1:${sPort}/next">next</a>`)
      expect((await send('/links', {}, s)).body).toBe(`<a href="http://127.0.0.1:${sPort}/next">next</a>`)
    })

    if (suiteOptions.frameworkTrust) {
      it("S4: the framework's own proxy trust alone keys the page it changes", async () => {
        const s = await start({ trustProxy: true })
        const sPort = new URL(s.baseUrl).port
        const attack = await send(
          '/links',
          { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
          s,
        )
        expect(attack.body).toContain('https://evil.example/next')
        expect((await send('/links', {}, s)).body).toBe(`<a href="http://127.0.0.1:${sPort}/next">next</a>`)
        expect(runs.get('/links')).toBe(2)
      })
    }

    it('S5: a response that sets a cookie is never stored or replayed to another visitor', async () => {
      const a = await send('/session')
      const b = await send('/session')
      expect(a.headers['set-cookie']).toBeDefined()
      expect(b.headers['set-cookie']).toBeDefined()
      expect(b.headers['set-cookie']).not.toEqual(a.headers['set-cookie'])
      expect(b.body).not.toBe(a.body)
      expect(runs.get('/session')).toBe(2)
    })

    it('C1: a stored page with CR/LF in its status text or headers, or with Set-Cookie, is a miss, not a crash', async () => {
      const url = `http://127.0.0.1:${port}/stored`
      const request = new Request(url)
      const bad: Partial<StoredResponse>[] = [
        { statusText: 'OK\r\nX-Evil: 1' },
        { headers: [['x-ok', 'a\r\nX-Evil: 1']] },
        { headers: [['bad name', 'v']] },
        { headers: [['set-cookie', 'session=victim']] },
        { status: 1000 },
      ]
      for (const patch of bad) {
        await cache.set(cacheHeaderKey(request), [], 60)
        const page: StoredResponse = {
          status: 200,
          statusText: 'OK',
          headers: [['content-type', 'text/plain']],
          body: new TextEncoder().encode('poisoned'),
          storedAt: Date.now(),
          ...patch,
        }
        await cache.set(pageCacheKey(request, 'GET', []), page, 60)
        const r = await send('/stored')
        expect(r.status, JSON.stringify(patch)).toBe(200)
        expect(r.body).toBe('fresh')
        expect(r.headers['x-evil']).toBeUndefined()
        expect(r.headers['set-cookie']).toBeUndefined()
        await cache.clear()
      }
      expect((await send('/')).body).toBe('home')
    })
  })
}
