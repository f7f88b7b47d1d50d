// `mode: 'shared'` on node:http and Express (docs/contract.md §3b): single-flight (wrapped and
// across the two halves), background stale-while-revalidate off the request path, the two halves, ETag validation across a Vary
// mismatch and Surrogate-Control. Real servers on 127.0.0.1; view runs are counted, the
// clock is injected, and ordering is shown with a gate the test opens, never with timings.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { LocMemCache } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import { cacheMiddleware, cachePage, fetchFromCacheMiddleware, updateCacheMiddleware } from '../src/index.ts'
import { get, listen, type Running } from './http-support.ts'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
const servers: Running[] = []
afterAll(async () => {
  for (const s of servers) await s.close()
})

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Running> {
  const s = await listen(handler)
  servers.push(s)
  return s
}

function gate() {
  let open = (): void => {}
  const opened = new Promise<void>((r) => {
    open = r
  })
  return { open, opened }
}

function clock() {
  let now = T0
  return { now: () => now, advance: (s: number) => (now += s * 1000) }
}

describe('shared mode on node:http and Express', () => {
  it('single-flight: 40 concurrent cold requests run the view once', async () => {
    const g = gate()
    let runs = 0
    const handler = cacheMiddleware({
      alias: new LocMemCache({ location: uniqueKey('sf') }),
      mode: 'shared',
    })(async (_req: IncomingMessage, res: ServerResponse) => {
      runs++
      await g.opened
      res.setHeader('cache-control', 'max-age=60')
      res.end(`run ${runs}`)
    })
    const s = await serve(handler)
    const all = Promise.all(Array.from({ length: 40 }, () => get(`${s.url}/cold`)))
    // Bounded: wait until the first request reached the view, then let every socket arrive.
    for (let i = 0; i < 200 && runs === 0; i++) await new Promise((r) => setTimeout(r, 5))
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5))
    g.open()
    const answers = await all
    expect(runs).toBe(1)
    expect(new Set(answers.map((a) => a.body))).toEqual(new Set(['run 1']))
  })

  it('stale-while-revalidate: the stale answer does not wait for the background revalidation (Express view)', async () => {
    const c = clock()
    const g = gate()
    const events: string[] = []
    let runs = 0
    const app = express()
    app.get(
      '/swr',
      cachePage(null, { cache: new LocMemCache({ location: uniqueKey('swr') }), mode: 'shared', now: c.now })(
        async (req: express.Request, res: express.Response) => {
          runs++
          if (runs === 2) {
            events.push(`revalidation started (${req.get('x-who') ?? ''})`)
            await g.opened
            events.push('revalidation finished')
          }
          res.set('cache-control', 'max-age=1, stale-while-revalidate=60').send(`v${runs}`)
        },
      ),
    )
    const s = await serve(app)
    expect((await get(`${s.url}/swr`, { headers: { 'x-who': 'a' } })).body).toBe('v1')
    c.advance(5)
    const stale = await get(`${s.url}/swr`, { headers: { 'x-who': 'b' } })
    events.push(`answered ${stale.body}`)
    g.open()
    let fresh = ''
    for (let i = 0; i < 100 && fresh !== 'v2'; i++) {
      await new Promise((r) => setTimeout(r, 10))
      fresh = (await get(`${s.url}/swr`)).body
    }
    // Had the stale answer waited for the revalidation, it could not come before the gate opened.
    expect(events).toEqual(['revalidation started (b)', 'answered v1', 'revalidation finished'])
    expect(fresh).toBe('v2')
    expect(runs).toBe(2)
  })

  it('the two halves in shared mode: store, hit, validate with a 304, invalidate after a POST', async () => {
    const c = clock()
    const opts = {
      alias: new LocMemCache({ location: uniqueKey('halves') }),
      mode: 'shared' as const,
      now: c.now,
    }
    const seen: Array<string | undefined> = []
    const app = express()
    app.use(updateCacheMiddleware(opts))
    app.use(fetchFromCacheMiddleware(opts))
    app.all('/h', (req, res) => {
      seen.push(req.get('if-none-match'))
      if (req.method === 'POST') return void res.status(201).send('made')
      if (req.get('if-none-match') === '"e1"') return void res.status(304).set('etag', '"e1"').end()
      res.set({ 'cache-control': 'max-age=60', etag: '"e1"' }).send(`v${seen.length}`)
    })
    const s = await serve(app)
    expect((await get(`${s.url}/h`)).body).toBe('v1')
    expect((await get(`${s.url}/h`)).body).toBe('v1')
    expect(seen.length).toBe(1)
    c.advance(120)
    const validated = await get(`${s.url}/h`)
    expect([validated.res.status, validated.body]).toEqual([200, 'v1'])
    expect(seen).toEqual([undefined, '"e1"'])
    await get(`${s.url}/h`, { method: 'POST' })
    expect((await get(`${s.url}/h`)).body).toBe('v4')
    expect(seen.length).toBe(4)
  })

  it('the two halves share one view run: 40 concurrent cold requests (Express)', async () => {
    const g = gate()
    let arrived = 0
    let runs = 0
    const opts = { alias: new LocMemCache({ location: uniqueKey('halves-sf') }), mode: 'shared' as const }
    const app = express()
    app.use((_req, _res, next) => {
      arrived++
      next()
    })
    app.use(updateCacheMiddleware(opts))
    app.use(fetchFromCacheMiddleware(opts))
    app.get('/cold', async (_req, res) => {
      runs++
      await g.opened
      res.set('cache-control', 'max-age=60').send(`run ${runs}`)
    })
    const s = await serve(app)
    const all = Promise.all(Array.from({ length: 40 }, () => get(`${s.url}/cold`)))
    // Bounded: every request reached the server, then a few turns of the event loop (no I/O
    // left: the locmem lookups settle) so each is waiting on the first one's view run.
    for (let i = 0; i < 1000 && arrived < 40; i++) await new Promise((r) => setTimeout(r, 5))
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(arrived).toBe(40)
    g.open()
    const answers = await all
    expect(runs).toBe(1)
    expect(new Set(answers.map((a) => `${a.res.status} ${a.body}`))).toEqual(new Set(['200 run 1']))
  })

  it('ETag validation across a Vary mismatch, and Surrogate-Control honoured then removed', async () => {
    const seen: Array<Record<string, string | undefined>> = []
    const handler = cacheMiddleware({
      alias: new LocMemCache({ location: uniqueKey('vary') }),
      mode: 'shared',
    })((req: IncomingMessage, res: ServerResponse) => {
      seen.push({
        inm: req.headers['if-none-match'] as string | undefined,
        cap: req.headers['surrogate-capability'] as string | undefined,
      })
      if (req.headers['if-none-match'] === '"abc"') {
        res.statusCode = 304
        res.setHeader('etag', '"abc"')
        return void res.end()
      }
      res.setHeader('cache-control', 'no-store')
      res.setHeader('surrogate-control', 'max-age=600')
      res.setHeader('etag', '"abc"')
      res.setHeader('vary', 'x-abc')
      res.end('body')
    })
    const s = await serve(handler)
    const first = await get(`${s.url}/v`, { headers: { 'x-abc': '1' } })
    expect(first.res.headers.get('surrogate-control')).toBeNull()
    expect((await get(`${s.url}/v`, { headers: { 'x-abc': '1' } })).body).toBe('body')
    const other = await get(`${s.url}/v`, { headers: { 'x-abc': '2' } })
    expect([other.res.status, other.body]).toEqual([200, 'body'])
    expect(seen).toEqual([
      { inm: undefined, cap: 'cachework="Surrogate/1.0"' },
      { inm: '"abc"', cap: 'cachework="Surrogate/1.0"' },
    ])
  })
})
