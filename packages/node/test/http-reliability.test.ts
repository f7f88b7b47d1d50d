/**
 * Node page-cache reliability through real sockets: single-flight waiters are bounded (a view
 * that never finishes holds nobody else), a Host with credentials is a 400 (not a 500), and
 * core's Fetch-style `cachePage` mounted in Express answers at once with an error instead of
 * hanging every request.
 */
import { cachePage as fetchCachePage } from '@cachework/core/http'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheMiddleware } from '../src/http.ts'
import { listen, type Running, rawRequest, uniquePath } from './http-support.ts'

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})

describe('single-flight waiters', () => {
  it('answer once flightWaitMs passes, although the first view never finishes', async () => {
    let runs = 0
    const r = await listen(
      cacheMiddleware({ flightWaitMs: 100 })((_req, res) => {
        runs += 1
        if (runs === 1) return // never answers
        res.end(`run ${runs}`)
      }),
    )
    running.push(r)
    const url = r.url + uniquePath()
    void rawRequest(url).catch(() => {})
    // Let the first request become the leader before the others arrive.
    for (let i = 0; i < 100 && runs === 0; i++) await new Promise((res) => setTimeout(res, 10))
    const answers = await Promise.all([1, 2, 3, 4].map(() => rawRequest(url)))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
    expect(runs).toBe(5)
  })
})

describe('Host with credentials', () => {
  it('is a 400 with no stack trace', async () => {
    const r = await listen(cacheMiddleware()((_req, res) => res.end('page')))
    running.push(r)
    const port = new URL(r.url).port
    const a = await rawRequest(`${r.url}/x`, { host: `evil@127.0.0.1:${port}` })
    expect(a.status).toBe(400)
    expect(a.body).not.toMatch(/at .*\.ts/)
  })
})

describe("core's Fetch cachePage mounted in Express", () => {
  it('fails the request at once with an error naming the Node wrapper', async () => {
    const app = express()
    const errors: unknown[] = []
    app.get('/a', fetchCachePage(60) as unknown as express.RequestHandler, (_req, res) => void res.send('a'))
    app.get('/b', fetchCachePage(60)(() => new Response('b')) as unknown as express.RequestHandler)
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err)
      res.status(500).end('misused')
    })
    const r = await listen(app)
    running.push(r)
    expect((await rawRequest(`${r.url}/a`)).status).toBe(500)
    expect((await rawRequest(`${r.url}/b`)).status).toBe(500)
    expect(errors.map((e) => String(e))).toEqual([
      expect.stringMatching(/TypeError.*@cachework\/node/),
      expect.stringMatching(/TypeError.*@cachework\/node/),
    ])
  })
})
