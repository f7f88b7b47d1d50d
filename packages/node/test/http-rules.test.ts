/**
 * The response-cache rules (docs/contract.md §3, django/middleware/cache.py) through real sockets, for a plain
 * node:http server, an Express 5 app and a Connect app, each with the per-site `cacheMiddleware`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import connect from 'connect'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheMiddleware, neverCache, varyOnCookie } from '../src/http.ts'
import { get, judgingClock, listen, type Running, rawRequest, uniquePath } from './http-support.ts'

type View = (req: IncomingMessage, res: ServerResponse) => void

const kinds: [string, (view: View) => Promise<Running>][] = [
  ['node:http', (view) => listen(cacheMiddleware({ seconds: 600 })(view))],
  [
    'Express 5',
    (view) => {
      const app = express()
      app.use(cacheMiddleware({ seconds: 600 }))
      app.use(view)
      return listen(app)
    },
  ],
  [
    'Connect',
    (view) => {
      const app = connect()
      app.use(cacheMiddleware({ seconds: 600 }))
      app.use(view)
      return listen(app)
    },
  ],
]

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})

describe.each(kinds)('%s + cacheMiddleware', (_kind, start) => {
  async function serve(view: View): Promise<string> {
    const r = await start(view)
    running.push(r)
    return r.url
  }

  it('misses, then hits with Age, and writes Cache-Control and Expires', async () => {
    let runs = 0
    const url =
      (await serve((_req, res) => {
        runs += 1
        res.setHeader('content-type', 'text/plain')
        res.end(`page ${runs}`)
      })) + uniquePath()
    const first = await get(url)
    expect(first.body).toBe('page 1')
    expect(first.res.headers.get('age')).toBeNull()
    expect(first.res.headers.get('cache-control')).toBe('max-age=600')
    expect(first.res.headers.get('expires')).toMatch(/GMT$/)
    const second = await get(url)
    expect(second.body).toBe('page 1')
    expect(Number(second.res.headers.get('age'))).toBeGreaterThanOrEqual(0)
    expect(second.res.headers.get('content-type')).toBe('text/plain')
    expect(second.res.headers.get('expires')).toBe(first.res.headers.get('expires'))
    expect(runs).toBe(1)
    // The query string is part of the key.
    expect((await get(`${url}?a=1`)).body).toBe('page 2')
  })

  it('serves HEAD from a cached GET but never a GET from a cached HEAD', async () => {
    let runs = 0
    const base = await serve((_req, res) => {
      runs += 1
      res.end(`body ${runs}`)
    })
    const a = base + uniquePath()
    expect((await get(a)).body).toBe('body 1')
    const head = await fetch(a, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('age')).not.toBeNull()
    expect(head.headers.get('content-length')).toBe('6')
    expect(runs).toBe(1)
    const b = base + uniquePath()
    await fetch(b, { method: 'HEAD' })
    expect(runs).toBe(2)
    expect((await get(b)).body).toBe('body 3')
  })

  it('answers If-None-Match and If-Modified-Since with 304 from the cache', async () => {
    let runs = 0
    const url =
      (await serve((_req, res) => {
        runs += 1
        res.setHeader('etag', '"v1"')
        res.setHeader('last-modified', 'Mon, 01 Jan 2024 00:00:00 GMT')
        res.end('etagged')
      })) + uniquePath()
    expect((await get(url)).body).toBe('etagged')
    const inm = await fetch(url, { headers: { 'if-none-match': '"v1"' } })
    expect(inm.status).toBe(304)
    expect(inm.headers.get('etag')).toBe('"v1"')
    const ims = await fetch(url, { headers: { 'if-modified-since': 'Tue, 02 Jan 2024 00:00:00 GMT' } })
    expect(ims.status).toBe(304)
    const other = await get(url, { headers: { 'if-none-match': '"v0"' } })
    expect(other.res.status).toBe(200)
    expect(other.body).toBe('etagged')
    expect(runs).toBe(1)
  })

  it('never stores private, no-store or never_cache pages, nor POSTs', async () => {
    let runs = 0
    const base = await serve((req, res) => {
      runs += 1
      if (req.url?.includes('private')) res.setHeader('cache-control', 'private')
      if (req.url?.includes('nostore')) res.setHeader('cache-control', 'no-store')
      if (req.url?.includes('never'))
        return neverCache((_q: IncomingMessage, r: ServerResponse) => r.end('n'))(req, res)
      res.end(`r${runs}`)
    })
    for (const kind of ['private', 'nostore', 'never']) {
      const url = base + uniquePath(`/${kind}`)
      runs = 0
      await get(url)
      const again = await get(url)
      expect(runs, kind).toBe(2)
      expect(again.res.headers.get('age'), kind).toBeNull()
      if (kind === 'never') {
        expect(again.res.headers.get('cache-control')).toBe(
          'max-age=0, no-cache, no-store, must-revalidate, private',
        )
      }
    }
    const post = base + uniquePath('/post')
    runs = 0
    await get(post, { method: 'POST', body: 'x' })
    await get(post, { method: 'POST', body: 'x' })
    expect(runs).toBe(2)
  })

  it('never serves one user’s page to another (Vary: Cookie, Set-Cookie, Authorization)', async () => {
    let runs = 0
    const base = await serve((req, res) => {
      runs += 1
      const user = /user=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'anonymous'
      if (req.url?.includes('login')) res.setHeader('set-cookie', `session=${user}; HttpOnly`)
      if (req.url?.includes('auth')) {
        res.end(`token ${req.headers.authorization ?? 'none'}`)
        return
      }
      varyOnCookie((_q: IncomingMessage, r: ServerResponse) => r.end(`hello ${user}`))(req, res)
    })
    const page = base + uniquePath('/home')
    expect((await get(page, { headers: { cookie: 'user=alice' } })).body).toBe('hello alice')
    expect((await get(page, { headers: { cookie: 'user=bob' } })).body).toBe('hello bob')
    expect((await get(page)).body).toBe('hello anonymous')
    const again = await get(page, { headers: { cookie: 'user=alice' } })
    expect(again.body).toBe('hello alice')
    expect(again.res.headers.get('age')).not.toBeNull()
    expect(again.res.headers.get('vary')).toBe('Cookie')
    expect(runs).toBe(3)

    // A response that sets a cookie while varying on Cookie is never stored.
    const login = base + uniquePath('/login')
    runs = 0
    await get(login, { headers: { cookie: 'user=alice' } })
    const other = await get(login, { headers: { cookie: 'user=alice' } })
    expect(runs).toBe(2)
    expect(other.res.headers.get('age')).toBeNull()

    // A request with Authorization is varied on it.
    const auth = base + uniquePath('/auth')
    expect((await get(auth, { headers: { authorization: 'Bearer a' } })).body).toBe('token Bearer a')
    const b = await get(auth, { headers: { authorization: 'Bearer b' } })
    expect(b.body).toBe('token Bearer b')
    expect(b.res.headers.get('vary')).toBe('Authorization')
  })

  it('never shares a page between two hosts', async () => {
    const base = await serve((req, res) => res.end(`host ${req.headers.host}`))
    const url = base + uniquePath()
    expect((await rawRequest(url, { host: 'a.example' })).body).toBe('host a.example')
    expect((await rawRequest(url, { host: 'b.example' })).body).toBe('host b.example')
    const again = await rawRequest(url, { host: 'a.example' })
    expect(again.body).toBe('host a.example')
    expect(again.headers.age).toBeDefined()
  })

  it('passes streamed (flushed) and over-limit responses through uncached', async () => {
    let runs = 0
    const base = await serve((req, res) => {
      runs += 1
      if (req.url?.includes('sse')) {
        res.setHeader('content-type', 'text/event-stream')
        res.flushHeaders()
        res.write('data: 1\n\n')
        setTimeout(() => res.end('data: 2\n\n'), 20)
        return
      }
      // 6 MiB in chunks: past the 5 MiB default limit.
      const chunk = Buffer.alloc(1024 * 1024, 97)
      for (let i = 0; i < 6; i++) res.write(chunk)
      res.end()
    })
    const sse = base + uniquePath('/sse')
    expect((await get(sse)).body).toBe('data: 1\n\ndata: 2\n\n')
    expect((await get(sse)).body).toBe('data: 1\n\ndata: 2\n\n')
    expect(runs).toBe(2)
    const big = base + uniquePath('/big')
    runs = 0
    expect((await get(big)).body.length).toBe(6 * 1024 * 1024)
    expect((await get(big)).body.length).toBe(6 * 1024 * 1024)
    expect(runs).toBe(2)
  })

  it('runs the view once for 200 concurrent requests to a cold page', async () => {
    let runs = 0
    const url =
      (await serve((_req, res) => {
        runs += 1
        setTimeout(() => res.end('cold'), 50)
      })) + uniquePath()
    const bodies = await Promise.all(Array.from({ length: 200 }, () => get(url).then((r) => r.body)))
    expect(bodies.every((b) => b === 'cold')).toBe(true)
    expect(runs).toBe(1)
  })
})

describe('a hit written by the adapter itself', () => {
  it('takes its Age from the clock reading that judged it fresh, so it never claims more than max-age', async () => {
    const clock = judgingClock()
    let runs = 0
    const r = await listen(
      cacheMiddleware({ seconds: 5, now: clock.now })((_req, res) => {
        runs += 1
        res.setHeader('content-type', 'text/plain')
        res.end(`page ${runs}`)
      }),
    )
    running.push(r)
    const url = r.url + uniquePath()
    expect((await get(url)).body).toBe('page 1')
    clock.late()
    const hit = await get(url)
    expect(hit.body).toBe('page 1')
    expect(hit.res.headers.get('age')).toBe('4')
    expect(runs).toBe(1)
  })
})
