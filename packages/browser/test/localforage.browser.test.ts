import { type CacheEvent, CacheUnavailableError } from '@cachework/core'
import { cacheConformanceSuite, collect, uniqueKey } from '@cachework/core/testing'
import localforage from 'localforage'
import { describe, expect, it } from 'vitest'
import { LocalForageCache } from '../src/localforage.ts'

// docs/contract.md §2 over localForage in headless Chromium: its default driver (IndexedDB) and the
// localStorage driver, which cannot structured-clone; a fresh localForage name per cache.
// As for indexeddb, a short timeout above the default 0.2 s: the first operation creates the database.
cacheConformanceSuite('localforage', {
  create: (o) => new LocalForageCache({ location: uniqueKey('lf'), ...o }),
  shortTimeout: 0.5,
  expiryWaitMs: 1000,
  clock: 'fake',
})

cacheConformanceSuite('localforage (localStorage driver)', {
  create: (o) =>
    new LocalForageCache({
      location: uniqueKey('lfls'),
      ...o,
      options: { driver: localforage.LOCALSTORAGE, ...o?.options },
    }),
  shortTimeout: 0.5,
  expiryWaitMs: 1000,
  clock: 'fake',
})

describe('localforage: atomic incr', () => {
  for (const [label, driver] of [
    ['IndexedDB', undefined],
    ['localStorage', localforage.LOCALSTORAGE],
  ] as const) {
    it(`loses no increment among 200 concurrent incr (${label} driver)`, async () => {
      const c = new LocalForageCache({
        location: uniqueKey('lf-incr'),
        options: driver ? { driver, timeoutMs: 30_000 } : { timeoutMs: 30_000 },
      })
      await c.set('n', 0)
      await Promise.all(Array.from({ length: 200 }, () => c.incr('n')))
      expect(await c.get('n')).toBe(200)
    })
  }

  it('loses no increment between two caches on one store (the Web Lock spans instances)', async () => {
    const name = uniqueKey('lf-incr2')
    const a = new LocalForageCache({ location: name, options: { timeoutMs: 30_000 } })
    const b = new LocalForageCache({ location: name, options: { timeoutMs: 30_000 } })
    await a.set('n', 0)
    await Promise.all([
      ...Array.from({ length: 100 }, () => a.incr('n')),
      ...Array.from({ length: 100 }, () => b.incr('n', 2)),
    ])
    expect(await b.get('n')).toBe(300)
  })
})

describe('localforage: getOrSet across caches', () => {
  it('runs the factory once for two caches on one store (Web Locks)', async () => {
    const name = uniqueKey('lf-gos')
    const a = new LocalForageCache({ location: name })
    const b = new LocalForageCache({ location: name })
    let calls = 0
    const factory = async () => {
      calls++
      await new Promise((r) => setTimeout(r, 50))
      return [calls]
    }
    const got = await Promise.all([
      a.getOrSet('k', factory),
      b.getOrSet('k', factory),
      b.getOrSet('k', factory),
    ])
    expect(calls).toBe(1)
    expect(got).toEqual([[1], [1], [1]])
  })
})

describe('localforage: emptying a localStorage store among other keys (rules 10, 11)', () => {
  // localForage's own clear() walks localStorage.key(i) downward while removing; Chromium rehashes
  // localStorage to half its size once it is under 1/6 full, reordering the keys, so keys not yet
  // visited could be skipped when the origin held other keys. Storing more than twice the keys
  // the origin already holds makes emptying this store cross that threshold at least once.
  const ls = { driver: localforage.LOCALSTORAGE, timeoutMs: 30_000 }
  const neighbourWith40 = async () => {
    const n = new LocalForageCache({ location: uniqueKey('lf-next'), options: ls })
    await Promise.all(Array.from({ length: 40 }, (_, i) => n.set(`n${i}`, i)))
    return n
  }
  const enough = () => 3 * localStorage.length + 60

  it('clear() removes every entry of the store and none of the others', async () => {
    const neighbour = await neighbourWith40()
    const n = enough()
    const c = new LocalForageCache({ location: uniqueKey('lf-clear'), options: { ...ls, maxEntries: n + 1 } })
    await Promise.all(Array.from({ length: n }, (_, i) => c.set(`k${i}`, i)))
    expect((await collect(c)).length).toBe(n)
    await c.clear()
    expect((await collect(c)).length).toBe(0)
    expect((await collect(neighbour)).length).toBe(40)
    await neighbour.clear()
  })

  it('culling with cullFrequency 0 empties the store before the new key', async () => {
    const neighbour = await neighbourWith40()
    const n = enough()
    const c = new LocalForageCache({
      location: uniqueKey('lf-cull0'),
      options: { ...ls, maxEntries: n, cullFrequency: 0 },
    })
    await Promise.all(Array.from({ length: n }, (_, i) => c.set(`k${i}`, i)))
    await c.set('newest', 1)
    expect((await collect(c)).map((e) => e.key)).toEqual(['newest'])
    expect(c.stats().evictions).toBe(n)
    expect((await collect(neighbour)).length).toBe(40)
    await neighbour.clear()
  })
})

describe('localforage: storage failures (rule 15)', () => {
  it("turns the localStorage driver's real QuotaExceededError into an error event and a refused write", async () => {
    const name = uniqueKey('lf-quota')
    const c = new LocalForageCache({ location: name, options: { driver: localforage.LOCALSTORAGE } })
    const quiet = new LocalForageCache({
      location: name,
      options: { driver: localforage.LOCALSTORAGE, ignoreErrors: true },
    })
    const errors: CacheEvent[] = []
    c.on('error', (e) => errors.push(e))
    await c.set('small', 1)
    // Chromium gives localStorage about 5 M characters per origin: 12 M cannot fit.
    const huge = 'x'.repeat(12_000_000)
    const refused = await c.set('big', huge).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(CacheUnavailableError)
    expect((refused as Error).message).toMatch(/QuotaExceededError/)
    expect(await quiet.set('big', huge)).toBe(false)
    expect(errors.length).toBe(1)
    expect(await c.has('big')).toBe(false)
    expect(await c.get('small')).toBe(1)
    expect(await c.set('after', 2)).toBe(true)
    await c.clear()
  })

  it('reads an entry that is not its own format as a miss, and removes it', async () => {
    const name = uniqueKey('lf-corrupt')
    const raw = localforage.createInstance({ name, storeName: 'entries' })
    const c = new LocalForageCache({ location: name })
    await raw.setItem(c.makeKey('bad'), { v: '[{"x":', e: null })
    await raw.setItem(c.makeKey('alien'), 'not an item')
    expect(await c.get('bad', 'miss')).toBe('miss')
    expect(await c.get('alien', 'miss')).toBe('miss')
    expect(await raw.length()).toBe(0)
  })
})
