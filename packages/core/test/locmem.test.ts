import { describe, expect, it } from 'vitest'
import { LocMemCache, createCaches } from '../src/index.ts'
import { cacheConformanceSuite, uniqueKey } from '../src/testing/index.ts'

cacheConformanceSuite('locmem', {
  create: (o) => new LocMemCache({ location: uniqueKey('store'), ...o }),
  cullOrder: 'lru',
})

describe('locmem specifics', () => {
  it('shares one store between caches with the same location (as Django)', async () => {
    const loc = uniqueKey('shared')
    const a = new LocMemCache({ location: loc })
    const b = new LocMemCache({ location: loc })
    const other = new LocMemCache({ location: uniqueKey('other') })
    await a.set('k', 1)
    expect(await b.get('k')).toBe(1)
    expect(await other.get('k')).toBeUndefined()
  })

  it('uses an injected clock for expiry', async () => {
    let now = 1_000_000
    const c = new LocMemCache({ location: uniqueKey(), options: { clock: { now: () => now } } })
    await c.set('k', 'v', 10)
    now += 9_999
    expect(await c.get('k')).toBe('v')
    now += 1
    expect(await c.get('k')).toBeUndefined()
  })

  it('culls in O(culled): a long run of sets at capacity keeps exactly the newest entries', async () => {
    const c = new LocMemCache({ location: uniqueKey(), options: { maxEntries: 1000, cullFrequency: 4 } })
    for (let i = 0; i < 20_000; i++) await c.set(`k${i}`, i)
    let n = 0
    for await (const _ of c.entries()) n++
    expect(n).toBeLessThanOrEqual(1000)
    expect(n).toBeGreaterThan(750)
    expect(await c.get('k19999')).toBe(19999)
    expect(await c.get('k0')).toBeUndefined()
  })

  it('a subclass may override validateKey', async () => {
    class Strict extends LocMemCache {
      override validateKey(rawKey: string): void {
        if (rawKey.includes('!')) throw new Error('no bangs')
      }
    }
    const c = new Strict({ location: uniqueKey() })
    await expect(c.set('a!', 1)).rejects.toThrow('no bangs')
    expect(await c.set('ok', 1)).toBe(true)
  })

  it('is reachable through a registry', async () => {
    const r = createCaches({ default: { backend: 'locmem', location: uniqueKey() } })
    const c = r.get('default')
    expect(c).toBeInstanceOf(LocMemCache)
    expect(r.get('default')).toBe(c)
  })
})
