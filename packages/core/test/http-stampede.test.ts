/**
 * The page cache's stampede options (docs/contract.md rule 16; RFC 5861 §3, §4) on locmem with
 * an injected clock: renders are counted and held open with deferred promises, never timed.
 */
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import { ResponseCache } from '../src/http/index.ts'
import { uniqueKey } from '../src/testing/index.ts'

function setup(opts: ConstructorParameters<typeof ResponseCache>[0] = {}) {
  const clock = { t: Date.now(), now: () => clock.t }
  const location = uniqueKey('pages')
  const cache = new LocMemCache({ location, options: { clock } })
  const engine = new ResponseCache({ cache, now: clock.now, cacheTimeout: 10, ...opts })
  return { clock, cache, engine, location }
}

const url = () => `https://shop.example/${uniqueKey('p')}`

describe('page cache: staleWhileRevalidate', () => {
  it('during a re-render every other request gets the stale page at once', async () => {
    const { clock, engine } = setup({ staleWhileRevalidate: 30 })
    const u = url()
    let renders = 0
    let open: (() => void) | undefined
    const view = async () => {
      renders++
      if (renders > 1) await new Promise<void>((r) => (open = r))
      return new Response(`render ${renders}`)
    }
    expect(await (await engine.handle(new Request(u), view)).text()).toBe('render 1')
    clock.t += 11_000
    const refresher = engine.handle(new Request(u), view)
    await new Promise((r) => setTimeout(r, 0))
    const others = await Promise.all(Array.from({ length: 5 }, () => engine.handle(new Request(u), view)))
    expect(await Promise.all(others.map((r) => r.text()))).toEqual(Array(5).fill('render 1'))
    expect(renders).toBe(2)
    open?.()
    expect(await (await refresher).text()).toBe('render 2')
    expect(await (await engine.handle(new Request(u), view)).text()).toBe('render 2')
    expect(renders).toBe(2)
  })

  it("honours the response's own stale-while-revalidate and stale-if-error (RFC 5861)", async () => {
    const { clock, engine } = setup()
    const u = url()
    let renders = 0
    const view = async () => {
      renders++
      if (renders === 2) return new Response('oops', { status: 503 })
      if (renders === 3) throw new Error('view crashed')
      return new Response(`render ${renders}`, {
        headers: { 'cache-control': 'max-age=10, stale-if-error=60' },
      })
    }
    expect(await (await engine.handle(new Request(u), view)).text()).toBe('render 1')
    clock.t += 11_000
    // Stale, no stale-while-revalidate: this request re-renders; the 503 gives way to the stale page.
    const r2 = await engine.handle(new Request(u), view)
    expect([r2.status, await r2.text()]).toEqual([200, 'render 1'])
    const r3 = await engine.handle(new Request(u), view)
    expect(await r3.text()).toBe('render 1')
    clock.t += 60_000
    await expect(engine.handle(new Request(u), view)).resolves.toBeInstanceOf(Response)
    expect(renders).toBe(4)
  })

  it('without stale windows the stored page stays a plain page', async () => {
    const { engine, cache } = setup()
    await engine.handle(new Request(url()), () => new Response('plain'))
    for await (const e of cache.entries()) expect(e.value).not.toHaveProperty('freshUntil')
  })
})

describe("page cache: lock: 'distributed'", () => {
  it('two engines (two processes) sharing one store render a cold page once', async () => {
    const location = uniqueKey('shared')
    const engines = [0, 1].map(
      () => new ResponseCache({ cache: new LocMemCache({ location }), lock: 'distributed' }),
    )
    const u = url()
    let renders = 0
    const view = async () => {
      renders++
      await new Promise((r) => setTimeout(r, 30))
      return new Response('once')
    }
    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (engines[i % 2] as ResponseCache).handle(new Request(u), view)),
    )
    expect(await Promise.all(all.map((r) => r.text()))).toEqual(Array(10).fill('once'))
    expect(renders).toBe(1)
  })
})
