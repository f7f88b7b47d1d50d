import { describe, expect, it } from 'vitest'
import { DummyCache, LocMemCache, createCaches } from '../src/index.ts'
import { NO_PEEK, peekShared } from '../src/backend.ts'
import { cacheConformanceSuite, uniqueKey } from '../src/testing/index.ts'

cacheConformanceSuite('locmem', {
  create: (o) => new LocMemCache({ location: uniqueKey('store'), ...o }),
  cullOrder: 'lru',
  clock: 'fake',
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

  it('peekShared reads without a copy, counts like get, and defers to get while events flow', async () => {
    let now = 1_000_000
    const c = new LocMemCache({ location: uniqueKey(), options: { clock: { now: () => now } } })
    const page = { status: 200, body: new Uint8Array([1, 2, 3]) }
    await c.set('page', page, 10)
    const a = peekShared(c, 'page')
    expect(a).toEqual(page)
    expect(a).not.toBe(page) // the cache's own copy, never the caller's object
    expect(peekShared(c, 'page')).toBe(a) // the same object on every peek: nothing copied
    expect(await c.get('page')).not.toBe(a) // get still hands out isolated copies (rule 12)
    expect(peekShared(c, 'absent')).toBeUndefined()
    now += 10_000
    expect(peekShared(c, 'page')).toBeUndefined() // expired
    expect(c.stats()).toMatchObject({ hits: 3, misses: 2, expirations: 1 })

    await c.set('page', page)
    const events: string[] = []
    const off = c.on('*', (e) => events.push(e.type))
    expect(peekShared(c, 'page')).toBe(NO_PEEK) // listeners must see a hit event: use get
    off()
    expect(events).toEqual([])
    expect(peekShared(new DummyCache(), 'page')).toBe(NO_PEEK)
  })

  it("judges a peek's expiry by the caller's Date.now() reading on the system clock, never on another clock", async () => {
    const c = new LocMemCache({ location: uniqueKey('peek-now') })
    await c.set('a', 'v', 10)
    await c.set('b', 'v', 10)
    expect(peekShared(c, 'a', Date.now())).toBe('v')
    // A reading 20 s on: the 10 s entry is expired at that instant (and removed, as by get).
    expect(peekShared(c, 'a', Date.now() + 20_000)).toBeUndefined()
    expect(await c.get('a')).toBeUndefined()
    expect(peekShared(c, 'b')).toBe('v')
    let now = 1_000_000
    const fake = new LocMemCache({ location: uniqueKey('peek-fake'), options: { clock: { now: () => now } } })
    await fake.set('k', 'v', 10)
    // Its own clock decides: a system-clock reading is not this cache's time.
    expect(peekShared(fake, 'k', Date.now() + 20_000)).toBe('v')
    now += 10_000
    expect(peekShared(fake, 'k', 0)).toBeUndefined()
  })
})

describe('locmem: made keys at working sets past 4,096', () => {
  it('reads 10,000 keys back under the right made keys, and still warns on every use of a bad key', async () => {
    const c = new LocMemCache({
      location: uniqueKey('memo'),
      keyPrefix: 'p',
      options: { maxEntries: 20_000 },
    })
    for (let i = 0; i < 10_000; i++) await c.set(`user:${i}`, i)
    for (let i = 0; i < 10_000; i += 7) expect(await c.get(`user:${i}`)).toBe(i)
    const raw: string[] = []
    for await (const e of c.entries({ prefix: 'user:99' })) raw.push(e.rawKey)
    expect(raw.sort()).toEqual(
      [
        'p:1:user:99',
        'p:1:user:990',
        'p:1:user:991',
        'p:1:user:992',
        'p:1:user:993',
        'p:1:user:994',
        'p:1:user:995',
        'p:1:user:996',
        'p:1:user:997',
        'p:1:user:998',
        'p:1:user:999',
        ...Array.from({ length: 100 }, (_, j) => `p:1:user:99${String(j).padStart(2, '0')}`),
      ].sort(),
    )
    expect(await c.get('user:1', undefined, { version: 2 })).toBeUndefined() // another version, another key
    const warnings: string[] = []
    const off = c.on('warning', (e) => warnings.push(e.rawKey ?? ''))
    await c.set('bad key', 1)
    await c.get('bad key')
    off()
    expect(warnings).toEqual(['p:1:bad key', 'p:1:bad key'])
  })
})

describe('locmem: the direct index of caller keys never serves an entry that left the store', () => {
  it('forgets culled items even when they are reused for other keys', async () => {
    const c = new LocMemCache({
      location: uniqueKey('direct'),
      options: { maxEntries: 30, cullFrequency: 3 },
    })
    for (let i = 0; i < 30; i++) await c.set(`k${i}`, i)
    for (let i = 0; i < 30; i++) expect(await c.get(`k${i}`)).toBe(i) // every key now indexed
    // Culls recycle the least recently used items for the new keys.
    for (let i = 30; i < 200; i++) await c.set(`k${i}`, i)
    for (let i = 0; i < 200; i++) {
      const v = await c.get(`k${i}`)
      expect(v === undefined || v === i).toBe(true)
    }
    expect(await c.get('k0')).toBeUndefined()
    expect(await c.get('k199')).toBe(199)
  })

  it('sees deletes, clears, expiry and overwrites made through another cache on the same store', async () => {
    let now = 1_000_000
    const clock = { now: () => now }
    const loc = uniqueKey('direct-shared')
    const a = new LocMemCache({ location: loc, options: { clock } })
    const b = new LocMemCache({ location: loc, options: { clock } })
    await a.set('k', 1)
    expect(await a.get('k')).toBe(1)
    expect(await b.get('k')).toBe(1)
    await b.set('k', 2)
    expect(await a.get('k')).toBe(2)
    expect(await b.delete('k')).toBe(true)
    expect(await a.get('k')).toBeUndefined()
    await a.set('k', 3)
    expect(await b.get('k')).toBe(3)
    await b.clear()
    expect(await a.get('k')).toBeUndefined()
    expect(await a.has('k')).toBe(false)
    await b.set('k', 4, 10)
    expect(await a.get('k')).toBe(4)
    now += 10_000
    expect(await b.get('k')).toBeUndefined()
    expect(await a.get('k')).toBeUndefined()
    await a.set('k', 5)
    expect(await b.get('k')).toBe(5)
    expect(await a.get('k')).toBe(5)
  })

  it('follows version moves and other versions', async () => {
    const c = new LocMemCache({ location: uniqueKey('direct-version') })
    await c.set('k', 'v1')
    expect(await c.get('k')).toBe('v1')
    expect(await c.incrVersion('k')).toBe(2)
    expect(await c.get('k')).toBeUndefined()
    expect(await c.get('k', undefined, { version: 2 })).toBe('v1')
    await c.set('k', 'again')
    expect(await c.get('k')).toBe('again')
    expect(await c.get('k', undefined, { version: 2 })).toBe('v1')
  })

  it('holds only live items: an item culled and reused under another cache keeps no entry', async () => {
    const loc = uniqueKey('direct-exact')
    const opts = { maxEntries: 3, cullFrequency: 3 }
    const a = new LocMemCache({ location: loc, keyPrefix: 'pa', options: opts })
    const b = new LocMemCache({ location: loc, keyPrefix: 'pb', options: opts })
    await a.set('x', 'a')
    expect(await a.get('x')).toBe('a') // indexed by a
    await b.set('y1', 1)
    await b.set('y2', 2)
    await b.set('x', 'b') // culls pa:1:x (least recently used) and reuses its item for pb:1:x
    expect(await b.get('x')).toBe('b') // indexed by b
    expect(await a.get('x')).toBeUndefined()
    expect(await b.get('x')).toBe('b')
    // The index holds one entry per live item it found, none for what left the store.
    const direct = (c: LocMemCache) =>
      (c as unknown as { direct: { keys(): Iterable<string>; size: number } }).direct
    expect([...direct(a).keys()]).toEqual([])
    expect([...direct(b).keys()].sort()).toEqual(['x', 'y1', 'y2'])
    await b.delete('x')
    expect([...direct(b).keys()].sort()).toEqual(['y1', 'y2'])
    await a.clear()
    expect(direct(b).size).toBe(0)
  })

  it('keeps two caller keys apart when a key function maps both to one made key', async () => {
    const c = new LocMemCache({
      location: uniqueKey('direct-fold'),
      keyFunction: (key, prefix, version) => `${prefix}:${version}:${key.toLowerCase()}`,
    })
    await c.set('A', 1)
    expect(await c.get('a')).toBe(1)
    await c.set('a', 2)
    expect(await c.get('A')).toBe(2)
    await c.delete('A')
    expect(await c.get('a')).toBeUndefined()
    await c.set('b', 3)
    expect(await c.get('A')).toBeUndefined()
  })
})

describe('locmem: plain trees are copied out by the plan made when they were stored', () => {
  /** Every object (arrays and Uint8Arrays included) inside `v`, `v` itself too. */
  function objectsOf(v: unknown, out: object[] = []): object[] {
    if (typeof v !== 'object' || v === null) return out
    out.push(v)
    if (!ArrayBuffer.isView(v)) for (const x of Object.values(v)) objectsOf(x, out)
    return out
  }

  it('round-trips every nesting shape, and no two reads share any object', async () => {
    const c = new LocMemCache({ location: uniqueKey('plan') })
    const values: unknown[] = [
      { id: 1, name: 'a', tags: ['x', 'y'] },
      { flat: 1, s: 's' },
      [1, 'two', { three: 3 }],
      [[1], [2, [3]], { a: [{ b: 1 }] }],
      { a: { b: { c: { d: [1, { e: 2 }] } } }, f: new Uint8Array([1, 2, 3]), g: [] },
      { one: { only: 1 } },
      { bytes: new Uint8Array([9]) },
      JSON.parse('{"__proto__": {"x": [1, {"y": 2}]}, "z": {"w": 1}}'),
    ]
    for (const [i, v] of values.entries()) {
      await c.set(`p${i}`, v)
      const a = await c.get(`p${i}`)
      const b = await c.get(`p${i}`)
      expect(a).toStrictEqual(v)
      expect(b).toStrictEqual(v)
      const seen = new Set(objectsOf(a))
      expect(objectsOf(v).some((o) => seen.has(o))).toBe(false)
      expect(objectsOf(b).some((o) => seen.has(o))).toBe(false)
      expect(objectsOf(a)).toHaveLength(objectsOf(v).length)
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('locmem: nested arrays of up to eight primitives are stored flat and read back the same', () => {
  const values: Array<Record<string, unknown>> = [
    { id: 1, name: 'a', tags: ['admin', 'beta', 'group-1'] },
    { none: [], one: [null], mixed: [undefined, -0, Number.NaN, 1n, 'x', true, 2.5, 7] },
    { nine: [1, 2, 3, 4, 5, 6, 7, 8, 9], flat: [1] },
    { list: [1, [2]], other: ['a'] },
    { list: [{ a: 1 }], other: ['a'] },
    { sub: { a: 1 }, arr: [1, 2] },
    { bytes: new Uint8Array([1]), arr: [1] },
    JSON.parse('{"__proto__": [1, 2], "z": ["w"]}'),
    { 2: ['two'], 1: 'one', b: ['b'], a: 1 },
  ]

  it('every read path gives an equal, unshared copy with the same keys in the same order', async () => {
    const c = new LocMemCache({ location: uniqueKey('flat') })
    for (const [i, v] of values.entries()) {
      await c.set(`f${i}`, v)
      const reads = [
        await c.get(`f${i}`),
        await c.get(`f${i}`),
        (await c.getMany([`f${i}`]))[`f${i}`],
        await c.getOrSet(`f${i}`, () => 'not called'),
      ]
      for (const r of reads) {
        expect(r).toStrictEqual(v)
        expect(Object.keys(r as object)).toEqual(Object.keys(v))
        expect(Object.getPrototypeOf(r)).toBe(Object.prototype)
        for (const k of Object.keys(v)) {
          if (Array.isArray(v[k])) {
            expect(Object.getPrototypeOf((r as Record<string, unknown>)[k])).toBe(Array.prototype)
            expect((r as Record<string, unknown>)[k]).not.toBe(v[k])
          }
        }
      }
      // No read shares an array with another read.
      const arrays = reads.flatMap((r) => Object.values(r as object).filter((x) => typeof x === 'object'))
      expect(new Set(arrays).size).toBe(arrays.length)
      const firstArray = Object.keys(v).find((k) => Array.isArray(v[k])) as string
      ;((reads[0] as Record<string, unknown[]>)[firstArray] as unknown[]).push('mutated')
      expect(await c.get(`f${i}`)).toStrictEqual(v)
    }
    expect(({} as Record<string, unknown>)[0]).toBeUndefined()
  })

  it('survives a version move and a touch, and peekShared returns one stored object on every peek', async () => {
    const c = new LocMemCache({ location: uniqueKey('flat') })
    const v = { id: 1, tags: ['a', 'b'] }
    await c.set('k', v)
    await c.incrVersion('k')
    expect(await c.get('k', undefined, { version: 2 })).toStrictEqual(v)
    expect(await c.touch('k', 100, { version: 2 })).toBe(true)
    expect(await c.get('k', undefined, { version: 2 })).toStrictEqual(v)
    await c.set('p', v)
    const a = peekShared(c, 'p')
    expect(a).toStrictEqual(v)
    expect(peekShared(c, 'p')).toBe(a)
    const b = await c.get('p')
    expect(b).toStrictEqual(v)
    expect(b).not.toBe(a)
    expect((b as typeof v).tags).not.toBe((a as typeof v).tags)
    expect(await c.get('p')).toStrictEqual(v)
  })

  it('keeps an incr on a flat value an error, and an overwrite replaces it', async () => {
    const c = new LocMemCache({ location: uniqueKey('flat') })
    await c.set('k', { tags: ['a'] })
    await expect(c.incr('k')).rejects.toThrow(TypeError)
    await c.set('k', 5)
    expect(await c.incr('k')).toBe(6)
    await c.set('k', { tags: ['b', 'c'] })
    expect(await c.get('k')).toStrictEqual({ tags: ['b', 'c'] })
  })
})

describe('locmem: LRU order kept by use stamps until the first cull, then by the list', () => {
  it('evicts the least recently used key before and after the first cull, and after clear', async () => {
    // cullFrequency larger than the store: each cull evicts exactly one key.
    const c = new LocMemCache({ location: uniqueKey('lru'), options: { maxEntries: 5, cullFrequency: 100 } })
    const alive = async () => {
      const out: string[] = []
      for (let i = 0; i < 10; i++) if (await c.has(`k${i}`)) out.push(`k${i}`)
      return out
    }
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5; i++) await c.set(`k${i}`, i)
      await c.get('k0')
      await c.get('k2')
      await c.has('k1') // has_key is no use (django/core/cache/backends/locmem.py)
      await c.set('k3', 'again') // a set is a use
      await c.set('k5', 5) // first cull: k1 is the least recently used
      expect(await alive()).toEqual(['k0', 'k2', 'k3', 'k4', 'k5'])
      await c.get('k4')
      await c.set('k6', 6) // order now k4 k5 k3 k2 k0: k0 goes
      expect(await alive()).toEqual(['k2', 'k3', 'k4', 'k5', 'k6'])
      await c.get('k2')
      await c.set('k7', 7) // k2 k6 k4 k5 k3: k3 goes
      expect(await alive()).toEqual(['k2', 'k4', 'k5', 'k6', 'k7'])
      await c.clear()
    }
  })
})

describe('locmem: a hit tests expiry to the millisecond (the coarse expiry only proves an item live)', () => {
  const starts = [
    0,
    1,
    4095,
    4096,
    4097,
    1_700_000_000_123,
    -1,
    -4096,
    -5_000_001,
    -(2 ** 43),
    2 ** 42 - 1,
    2 ** 50,
  ]

  it('expires at the expiry itself, wherever it falls in a 4,096 ms step, for any clock', async () => {
    let now = 0
    const c = new LocMemCache({ location: uniqueKey(), options: { clock: { now: () => now } } })
    for (const t0 of starts) {
      for (const s of [0.001, 1, 4, 5, 300, 4.096]) {
        now = t0
        await c.set('k', 'v', s)
        const e = t0 + s * 1000
        now = e - 1
        expect(await c.get('k'), `${t0} + ${s} s, 1 ms before`).toBe('v')
        now = e
        expect(await c.get('k'), `${t0} + ${s} s, at expiry`).toBeUndefined()
      }
    }
    now = 2 ** 50
    await c.set('forever', 1, null)
    await c.set('inf', 2, Number.POSITIVE_INFINITY)
    now = 2 ** 52
    expect(await c.getMany(['forever', 'inf'])).toEqual({ forever: 1, inf: 2 })
  })

  it('a shorter expiry by touch, overwrite or on a reused culled item takes effect at once', async () => {
    let now = 1_700_000_000_000
    const c = new LocMemCache({
      location: uniqueKey(),
      options: { clock: { now: () => now }, maxEntries: 3 },
    })
    const shortened = async (key: string) => {
      now += 999
      expect(await c.get(key), `${key} before`).toBe('v')
      now += 1
      expect(await c.get(key), `${key} at expiry`).toBeUndefined()
    }
    await c.set('t', 'v', 300)
    expect(await c.touch('t', 1)).toBe(true)
    await shortened('t')
    await c.set('o', 'v', 300)
    await c.set('o', 'v', 1)
    await shortened('o')
    for (let i = 0; i < 6; i++) await c.set(`n${i}`, 'v', 300) // each cull frees items for reuse
    await c.set('r', 'v', 1)
    await shortened('r')
  })
})
