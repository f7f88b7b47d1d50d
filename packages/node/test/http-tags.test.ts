/**
 * Tags on pages cached by the Node wrappers (docs/contract.md rule 17), through real sockets:
 * Express's cachePage with tags from the request, dropped by invalidateTags, with the optional
 * Surrogate-Key header on misses and hits (the Node hit fast path included).
 */
import '@cachework/node'
import { caches } from '@cachework/core'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { cachePage } from '../src/http.ts'
import { get, listen, type Running, uniquePath } from './http-support.ts'

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})

describe('page tags on Node', () => {
  it('cachePage(…, { tags }) on Express: invalidateTags drops the tagged page only', async () => {
    let runs = 0
    const app = express()
    app.get(
      '/item/:id',
      cachePage(900, {
        tags: (r) => [`item:${new URL(r.url).pathname.split('/').pop()}`],
        tagHeader: 'Surrogate-Key',
      })((req: express.Request, res: express.Response) => {
        runs++
        res.send(`item ${req.params.id} #${runs}`)
      }),
    )
    const r = await listen(app)
    running.push(r)
    const [a, b] = [uniquePath('').slice(1), uniquePath('').slice(1)]
    const first = await get(`${r.url}/item/${a}`)
    expect(first.body).toBe(`item ${a} #1`)
    expect(first.res.headers.get('surrogate-key')).toBe(`item:${a}`)
    expect((await get(`${r.url}/item/${b}`)).body).toBe(`item ${b} #2`)
    const hit = await get(`${r.url}/item/${a}`)
    expect(hit.body).toBe(`item ${a} #1`)
    expect(hit.res.headers.get('surrogate-key')).toBe(`item:${a}`)
    await caches.get('default').invalidateTags([`item:${a}`])
    expect((await get(`${r.url}/item/${a}`)).body).toBe(`item ${a} #3`)
    expect((await get(`${r.url}/item/${b}`)).body).toBe(`item ${b} #2`)
  })
})
