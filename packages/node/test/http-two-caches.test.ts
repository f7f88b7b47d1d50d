/**
 * Two page caches on one request (a per-site `cacheMiddleware` around a view wrapped in its own
 * `cachePage`, as Django allows `CacheMiddleware` and `cache_page` together): each keys the
 * request, and answers a bad host (docs/contract.md rule 20), by its own `allowedHosts` and
 * forwarded-header trust, never by the view the other one worked out for the same request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { cacheMiddleware, cachePage } from '../src/http.ts'
import { listen, type Running, rawRequest, uniquePath } from './http-support.ts'

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown

async function serve(handler: Handler): Promise<string> {
  const r = await listen(handler as (req: IncomingMessage, res: ServerResponse) => void)
  running.push(r)
  return r.url
}

function counted(): { runs: () => number; view: Handler } {
  let n = 0
  return {
    runs: () => n,
    view: (_req, res) => {
      n += 1
      res.setHeader('content-type', 'text/plain')
      res.end(`page ${n}`)
    },
  }
}

describe('two page caches on one request', () => {
  it('the inner cache answers 400 for a host only the outer one lists', async () => {
    const { runs, view } = counted()
    const inner = cachePage(60, { keyPrefix: 'inner', allowedHosts: ['a.example'] })(view)
    const url = (await serve(cacheMiddleware({ keyPrefix: 'outer' })(inner) as Handler)) + uniquePath()
    const listed = await rawRequest(url, { host: 'a.example' })
    expect(listed.status).toBe(200)
    const unlisted = await rawRequest(url, { host: 'c.example' })
    expect(unlisted.status).toBe(400)
    expect(runs()).toBe(1)
  })

  it('the inner cache keys on X-Forwarded-Host when it trusts it and the outer one does not', async () => {
    const { runs, view } = counted()
    const inner = cachePage(60, { keyPrefix: 'inner', trustForwardedHost: true })(view)
    const url = (await serve(cacheMiddleware({ keyPrefix: 'outer' })(inner) as Handler)) + uniquePath()
    const first = await rawRequest(url, { host: 'a.example', 'x-forwarded-host': 'b.example' })
    expect(first.body).toBe('page 1')
    // Another Host misses the outer cache; the inner one keys on b.example, where page 1 is.
    const second = await rawRequest(url, { host: 'z.example', 'x-forwarded-host': 'b.example' })
    expect(second.body).toBe('page 1')
    expect(second.headers.age).toBeDefined()
    expect(runs()).toBe(1)
    // And the outer one keyed on Host: a.example is its hit, with no forwarded header at all.
    expect((await rawRequest(url, { host: 'a.example' })).body).toBe('page 1')
    expect(runs()).toBe(1)
  })

  it('the outer cache keys on Host when only the inner one trusts X-Forwarded-Host', async () => {
    const { runs, view } = counted()
    const inner = cachePage(60, { keyPrefix: 'inner' })(view)
    const outer = cacheMiddleware({ keyPrefix: 'outer', trustForwardedHost: true })
    const url = (await serve(outer(inner) as Handler)) + uniquePath()
    expect((await rawRequest(url, { host: 'a.example', 'x-forwarded-host': 'b.example' })).body).toBe(
      'page 1',
    )
    // The inner cache keyed on Host a.example: a request forwarded for another host hits it there.
    const again = await rawRequest(url, { host: 'a.example', 'x-forwarded-host': 'c.example' })
    expect(again.body).toBe('page 1')
    expect(runs()).toBe(1)
  })
})
