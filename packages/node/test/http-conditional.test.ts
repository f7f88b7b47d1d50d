// Django's condition / etag / last_modified for node:http views: real servers, counted view runs.
import { afterAll, describe, expect, it } from 'vitest'
import { condition, etag } from '../src/index.ts'
import { listen, type Running } from './http-support.ts'

const servers: Running[] = []
afterAll(async () => {
  for (const s of servers) await s.close()
})

describe('Node condition / etag', () => {
  it('a matching If-None-Match is a 304 without running the view; ETag and Last-Modified are added', async () => {
    let runs = 0
    const LM = Date.UTC(2026, 0, 1)
    const view = condition({ etag: (req) => `v-${req.url}`, lastModified: () => LM })(
      (_req: unknown, res: { end(s: string): void }) => {
        runs++
        res.end('page')
      },
    )
    const s = await listen(view)
    servers.push(s)
    const first = await fetch(`${s.url}/a`)
    expect(first.headers.get('etag')).toBe('"v-/a"')
    expect(first.headers.get('last-modified')).toBe(new Date(LM).toUTCString())
    expect(await first.text()).toBe('page')
    const again = await fetch(`${s.url}/a`, { headers: { 'if-none-match': '"v-/a"' } })
    expect(again.status).toBe(304)
    expect(runs).toBe(1)
  })

  it('as middleware before the view; a failed If-Match is 412', async () => {
    let runs = 0
    const mw = etag(() => '"x"')
    const s = await listen((req, res) =>
      mw(req, res, () => {
        runs++
        res.end('ok')
      }),
    )
    servers.push(s)
    expect((await fetch(s.url, { method: 'PUT', headers: { 'if-match': '"y"' } })).status).toBe(412)
    expect((await fetch(s.url, { method: 'PUT', headers: { 'if-match': '"x"' } })).status).toBe(200)
    expect(runs).toBe(1)
  })
})
