/**
 * The adapter conformance suite: one set of page-cache checks that every HTTP adapter
 * (node:http, Connect, Express, Fastify, Hono, Koa) runs unchanged, through real sockets, as
 * the backend conformance suite does for backends. An adapter passes a `startServer` that
 * serves a small route table with site-wide caching; the views are framework-neutral
 * functions, so the suite counts their runs itself.
 *
 * What it checks (Django 6.1's `UpdateCacheMiddleware`/`FetchFromCacheMiddleware` rules,
 * docs/node-http.md "What is (not) cached"): miss then hit with `Age` (RFC 9111 §4.2.3);
 * `private`, a cookie set while varying on `Cookie`, `Vary: *` and `Authorization` are never
 * served to another user; the learned `Vary`; HEAD from a stored GET (RFC 9110 §9.3.2);
 * `If-None-Match` → 304 (RFC 9110 §13.1.2); 200 concurrent cold requests run the view once;
 * a streamed body reaches the client before the view ends; an unreachable cache is a miss.
 */
import '../../src/index.ts'
import { type CacheRegistry, createCaches } from '@cachework/core'
import type { CacheMiddlewareOptions } from '@cachework/core/http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { headerChecks, type ProtoFieldSeen } from './adapter-conformance-headers.ts'
import { sharedModeChecks } from './adapter-conformance-shared.ts'
import { freePort } from './free-port.ts'

/** The request a conformance view sees. */
export interface ConformanceRequest {
  method: string
  /** Path and query string, as the client sent them. */
  url: string
  /** Request headers, names lower-case (repeated ones joined with `, `). */
  headers: Record<string, string>
}

/** What a conformance view answers; the adapter's harness writes it the framework's way. */
export interface ConformanceReply {
  /** Default 200. */
  status?: number
  /** Response headers; an array for repeated ones (`set-cookie`). */
  headers?: Record<string, string | string[]>
  /**
   * The body. An async iterable is a stream: the harness must send each chunk as it comes
   * (node:http `res.flushHeaders()` then `write`, Fastify/Koa a `Readable`, Hono a `ReadableStream`).
   */
  body?: string | Uint8Array | AsyncIterable<string>
}

/** One route of the table: an exact path (no parameters) reached by GET, HEAD and POST. */
export interface ConformanceRoute {
  path: string
  view(req: ConformanceRequest): ConformanceReply | Promise<ConformanceReply>
}

/** A server an adapter started for the suite. */
export interface ConformanceServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  close(): Promise<void>
}

/**
 * Start a server on 127.0.0.1 (port 0) that serves `routes` behind the adapter's site-wide
 * page cache, configured with `options` (core's `CacheMiddlewareOptions`: `alias`, `seconds`,
 * `keyPrefix`, `registry`, `onError`…).
 */
export type StartServer = (
  routes: ConformanceRoute[],
  options: CacheMiddlewareOptions,
) => Promise<ConformanceServer>

/** Whether a reply body is a stream. */
export function isStreamBody(body: ConformanceReply['body']): body is AsyncIterable<string> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body
}

/** The route whose path is `pathname`, if any (harnesses that mount one catch-all handler). */
export function findRoute(routes: ConformanceRoute[], url: string): ConformanceRoute | undefined {
  const q = url.indexOf('?')
  const pathname = q === -1 ? url : url.slice(0, q)
  return routes.find((r) => r.path === pathname)
}

/** Node-style request headers (`IncomingMessage.headers`) as a conformance view sees them. */
export function plainHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** A view that counts its runs. */
interface Counted {
  route: ConformanceRoute
  runs: () => number
}

function counted(path: string, view: ConformanceRoute['view']): Counted {
  let n = 0
  return {
    route: {
      path,
      view: (req) => {
        n += 1
        return view(req)
      },
    },
    runs: () => n,
  }
}

let pathCounter = 0
function freshPath(name: string): string {
  pathCounter += 1
  return `/${name}-${process.pid}-${pathCounter}`
}

/** Read a streamed body until `marker` shows up (bounded: fails instead of hanging). */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  marker: string,
  sofar: { text: string },
): Promise<boolean> {
  const decoder = new TextDecoder()
  const deadline = setTimeout(() => void reader.cancel('conformance: stream never arrived'), 10_000)
  try {
    while (!sofar.text.includes(marker)) {
      const { done, value } = await reader.read()
      if (done) return sofar.text.includes(marker)
      sofar.text += decoder.decode(value, { stream: true })
    }
    return true
  } finally {
    clearTimeout(deadline)
  }
}

/**
 * Register the suite for one adapter: `adapterConformanceSuite('Fastify 5', startServer)`.
 * It owns its caches (a locmem alias and a memcached alias at a closed port, in a registry of
 * its own) and stops every server it started.
 */
export function adapterConformanceSuite(
  name: string,
  startServer: StartServer,
  protoField?: ProtoFieldSeen,
): void {
  describe(`adapter conformance: ${name}`, () => {
    let registry: CacheRegistry
    const servers: ConformanceServer[] = []

    beforeAll(async () => {
      // A port the OS just handed out and took back: nothing listens there.
      const closed = await freePort()
      registry = createCaches({
        pages: { backend: 'locmem', location: 'adapter-conformance' },
        down: { backend: 'memcached', location: `127.0.0.1:${closed}`, options: { timeoutMs: 500 } },
      })
    })
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()))
    })
    afterAll(async () => {
      await registry.closeAll()
    })

    async function serve(
      routes: Counted[],
      options: CacheMiddlewareOptions = {},
    ): Promise<(c: Counted, query?: string) => string> {
      const s = await startServer(
        routes.map((r) => r.route),
        { alias: 'pages', registry, seconds: 600, ...options },
      )
      servers.push(s)
      return (c, query = '') => `${s.baseUrl}${c.route.path}${query}`
    }

    sharedModeChecks(async (routes, options) => {
      const s = await startServer(routes, { alias: 'pages', registry, ...options })
      servers.push(s)
      return (route, query = '') => `${s.baseUrl}${route.path}${query}`
    }, freshPath)

    headerChecks(
      async (routes, options) => {
        const s = await startServer(routes, { alias: 'pages', registry, ...options })
        servers.push(s)
        return (route, query = '') => `${s.baseUrl}${route.path}${query}`
      },
      freshPath,
      { seconds: 600 },
      protoField,
    )

    it('misses, then hits with Age; the view runs once; POST and a 404 are never stored', async () => {
      const page = counted(freshPath('plain'), (req) => ({
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: req.method === 'POST' ? 'posted' : 'hello page',
      }))
      const missing = counted(freshPath('missing'), () => ({ status: 404, body: 'nope' }))
      const url = await serve([page, missing])
      const first = await fetch(url(page))
      expect(first.status).toBe(200)
      expect(await first.text()).toBe('hello page')
      expect(first.headers.get('age')).toBeNull()
      expect(first.headers.get('cache-control')).toBe('max-age=600')
      const second = await fetch(url(page))
      expect(await second.text()).toBe('hello page')
      expect(second.headers.get('age')).toMatch(/^\d+$/)
      expect(second.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(page.runs()).toBe(1)
      // The query string is part of the key.
      expect(await (await fetch(url(page, '?a=1'))).text()).toBe('hello page')
      expect(page.runs()).toBe(2)
      // POST always reaches the view; a 404 is not stored.
      expect(await (await fetch(url(page), { method: 'POST' })).text()).toBe('posted')
      expect(await (await fetch(url(page), { method: 'POST' })).text()).toBe('posted')
      expect(page.runs()).toBe(4)
      for (let i = 0; i < 2; i++) expect((await fetch(url(missing))).status).toBe(404)
      expect(missing.runs()).toBe(2)
    })

    it('never stores private, Vary: * or a cookie set while varying on Cookie', async () => {
      const priv = counted(freshPath('private'), () => ({
        headers: { 'cache-control': 'private, max-age=600' },
        body: 'mine',
      }))
      const star = counted(freshPath('star'), () => ({ headers: { vary: '*' }, body: 'star' }))
      const cookie = counted(freshPath('cookie'), (req) => {
        const user = req.headers['x-user'] ?? 'anon'
        return { headers: { vary: 'Cookie', 'set-cookie': [`session=${user}`, 'theme=dark'] }, body: user }
      })
      const url = await serve([priv, star, cookie])
      for (const c of [priv, star]) {
        for (let i = 0; i < 2; i++) {
          const r = await fetch(url(c))
          await r.text()
          expect(r.headers.get('age'), c.route.path).toBeNull()
        }
        expect(c.runs(), c.route.path).toBe(2)
      }
      // Both users send no cookie, so the Vary: Cookie key is the same: were alice's page stored,
      // bob would get alice's session cookie.
      const alice = await fetch(url(cookie), { headers: { 'x-user': 'alice' } })
      expect(await alice.text()).toBe('alice')
      const bob = await fetch(url(cookie), { headers: { 'x-user': 'bob' } })
      expect(await bob.text()).toBe('bob')
      expect(bob.headers.getSetCookie()).toEqual(['session=bob', 'theme=dark'])
      expect(bob.headers.get('age')).toBeNull()
      expect(cookie.runs()).toBe(2)
    })

    it('varies a page asked for with Authorization on it, so no other user gets it', async () => {
      const me = counted(freshPath('me'), (req) => ({ body: `hello ${req.headers.authorization ?? 'anon'}` }))
      const url = await serve([me])
      const a1 = await fetch(url(me), { headers: { authorization: 'Bearer alice' } })
      expect(await a1.text()).toBe('hello Bearer alice')
      expect(a1.headers.get('vary')).toMatch(/authorization/i)
      const b = await fetch(url(me), { headers: { authorization: 'Bearer bob' } })
      expect(await b.text()).toBe('hello Bearer bob')
      const a2 = await fetch(url(me), { headers: { authorization: 'Bearer alice' } })
      expect(await a2.text()).toBe('hello Bearer alice')
      expect(a2.headers.get('age')).toMatch(/^\d+$/)
      const anon = await fetch(url(me))
      expect(await anon.text()).toBe('hello anon')
      expect(anon.headers.get('age')).toBeNull()
      expect(me.runs()).toBe(3)
    })

    it('learns Vary: one stored page per Accept-Language value', async () => {
      const greet = counted(freshPath('greet'), (req) => ({
        headers: { vary: 'Accept-Language' },
        body: req.headers['accept-language'] === 'fr' ? 'bonjour' : 'hello',
      }))
      const url = await serve([greet])
      const fr = { headers: { 'accept-language': 'fr' } }
      const en = { headers: { 'accept-language': 'en' } }
      expect(await (await fetch(url(greet), fr)).text()).toBe('bonjour')
      expect(await (await fetch(url(greet), en)).text()).toBe('hello')
      const fr2 = await fetch(url(greet), fr)
      expect(await fr2.text()).toBe('bonjour')
      expect(fr2.headers.get('age')).toMatch(/^\d+$/)
      const en2 = await fetch(url(greet), en)
      expect(await en2.text()).toBe('hello')
      expect(en2.headers.get('age')).toMatch(/^\d+$/)
      expect(greet.runs()).toBe(2)
    })

    it('answers HEAD from a stored GET, with the GET’s length and no body; a GET hit has its length once', async () => {
      const doc = counted(freshPath('doc'), () => ({
        headers: { 'content-type': 'text/plain' },
        body: 'twelve bytes',
      }))
      const url = await serve([doc])
      expect(await (await fetch(url(doc))).text()).toBe('twelve bytes')
      const head = await fetch(url(doc), { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('age')).toMatch(/^\d+$/)
      expect(head.headers.get('content-length')).toBe('12')
      expect((await head.arrayBuffer()).byteLength).toBe(0)
      // A GET hit: the length once (a server writing it from the body must not add a second).
      const hit = await fetch(url(doc))
      expect(hit.headers.get('age')).toMatch(/^\d+$/)
      expect(hit.headers.get('content-length')).toBe('12')
      expect(await hit.text()).toBe('twelve bytes')
      expect(doc.runs()).toBe(1)
    })

    it('serves every byte of a stored body on a hit: binary, UTF-8 text and ASCII text', async () => {
      const binary = new Uint8Array(256).map((_, i) => i)
      const bin = counted(freshPath('bin'), () => ({
        headers: { 'content-type': 'application/octet-stream' },
        body: binary,
      }))
      const routes = [
        bin,
        counted(freshPath('utf8'), () => ({
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'café €😀',
        })),
        counted(freshPath('ascii'), () => ({
          headers: { 'content-type': 'text/plain' },
          body: 'plain ascii',
        })),
        // No Content-Type from the view: a hit carries what the miss carried (a Fetch string
        // body would gain text/plain).
        counted(freshPath('untyped'), () => ({ body: 'no type' })),
      ]
      const url = await serve(routes)
      for (const route of routes) {
        const miss = await fetch(url(route))
        const first = new Uint8Array(await miss.arrayBuffer())
        const hit = await fetch(url(route))
        expect(hit.headers.get('age')).toMatch(/^\d+$/)
        expect(new Uint8Array(await hit.arrayBuffer())).toEqual(first)
        expect(hit.headers.get('content-type')).toBe(miss.headers.get('content-type'))
        expect(route.runs()).toBe(1)
      }
      expect(new Uint8Array(await (await fetch(url(bin))).arrayBuffer())).toEqual(binary)
    })

    it('answers If-None-Match with 304 from the stored page', async () => {
      const tagged = counted(freshPath('etag'), () => ({ headers: { etag: '"v1"' }, body: 'tagged' }))
      const url = await serve([tagged])
      expect(await (await fetch(url(tagged))).text()).toBe('tagged')
      const again = await fetch(url(tagged), { headers: { 'if-none-match': '"v1"' } })
      expect(again.status).toBe(304)
      expect(await again.text()).toBe('')
      expect(again.headers.get('etag')).toBe('"v1"')
      const other = await fetch(url(tagged), { headers: { 'if-none-match': '"v0"' } })
      expect(other.status).toBe(200)
      expect(await other.text()).toBe('tagged')
      expect(tagged.runs()).toBe(1)
    })

    it('runs the view once for 200 concurrent cold requests', async () => {
      const cold = counted(freshPath('cold'), async () => {
        // A slow view keeps the first miss in flight while the other requests arrive.
        await new Promise((r) => setTimeout(r, 150))
        return { body: 'cold page' }
      })
      const url = await serve([cold])
      const bodies = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const r = await fetch(url(cold))
          return `${r.status} ${await r.text()}`
        }),
      )
      expect(new Set(bodies)).toEqual(new Set(['200 cold page']))
      expect(cold.runs()).toBe(1)
    })

    it('passes a streamed body through: the first chunk arrives before the view ends', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((r) => {
        release = r
      })
      const stream = counted(freshPath('stream'), () => ({
        headers: { 'content-type': 'text/plain' },
        body: (async function* () {
          yield 'first;'
          await gate // only the client reading "first;" opens it
          yield 'second'
        })(),
      }))
      const url = await serve([stream])
      // Bounded: an adapter that buffers the stream would otherwise hang here forever.
      const res = await fetch(url(stream), { signal: AbortSignal.timeout(10_000) })
      expect(res.status).toBe(200)
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      const sofar = { text: '' }
      const early = await readUntil(reader, 'first;', sofar)
      release()
      expect(early, 'the first chunk never reached the client while the view was waiting').toBe(true)
      await readUntil(reader, 'second', sofar)
      expect(sofar.text).toBe('first;second')
    })

    it('serves pages uncached when the cache is unreachable (a miss, not a 500)', async () => {
      const errors: unknown[] = []
      const page = counted(freshPath('down'), () => ({ body: 'still here' }))
      const url = await serve([page], { alias: 'down', onError: (e) => errors.push(e) })
      for (let i = 0; i < 3; i++) {
        const r = await fetch(url(page))
        expect(r.status).toBe(200)
        expect(await r.text()).toBe('still here')
        expect(r.headers.get('age')).toBeNull()
      }
      const head = await fetch(url(page), { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(page.runs()).toBe(4)
      expect(errors.length).toBeGreaterThan(0)
    })
  })
}
