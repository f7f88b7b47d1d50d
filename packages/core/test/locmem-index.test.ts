// The locmem direct index (locmem-store.ts `DirectIndex`): an open-addressing table for short
// keys whose slots copy what a hit reads, and a Map for the rest. Checked against a Map model,
// with the real hash and with hashes that make keys collide, and through LocMemCache for every
// write that must refresh a slot's copies.
import { describe, expect, it } from 'vitest'
import { LocMemCache } from '../src/index.ts'
import { DirectIndex, S_B, S_H, S_Q, S_V, TABLE_KEY_MAX, keyHash } from '../src/backends/locmem-store.ts'
import { uniqueKey } from '../src/testing/index.ts'

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

/** A fake hot array: base b holds [q, h, u, v] = [b + 1, b % 3, 0, `v${b}`]. */
function hotFor(bases: number): unknown[] {
  const hot: unknown[] = []
  for (let b = 0; b < bases * 4; b += 4) hot.push(b + 1, (b / 4) % 3, 0, `v${b}`)
  return hot
}

function checkAgainst(d: DirectIndex, model: Map<string, number>, hot: unknown[]): void {
  expect(d.size).toBe(model.size)
  expect(new Set(d.keys())).toEqual(new Set(model.keys()))
  for (const [k, b] of model) {
    expect(d.get(k)).toBe(b)
    const o = d.find(k)
    if (o >= 0) {
      // A slot carries the copies a hit reads.
      expect([d.t[o + S_B], d.t[o + S_V], d.t[o + S_Q], d.t[o + S_H]]).toEqual([
        b,
        hot[b + 3],
        hot[b],
        hot[b + 1],
      ])
    } else expect(d.other.get(k)).toBe(b)
  }
}

function fuzz(hash: ((k: string) => number) | undefined, seed: number, steps: number): DirectIndex {
  const d = new DirectIndex(hash)
  const model = new Map<string, number>()
  const hot = hotFor(64)
  const r = rng(seed)
  const keyOf = (i: number) => (i % 7 === 0 ? `a-long-key-that-passes-the-table-limit-${i}` : `k${i}`)
  for (let step = 0; step < steps; step++) {
    const k = keyOf(Math.floor(r() * 400))
    const op = r()
    if (op < 0.55) {
      const b = Math.floor(r() * 64) * 4
      d.set(k, b, hot)
      model.set(k, b)
    } else if (op < 0.9) {
      d.delete(k)
      model.delete(k)
    } else expect(d.get(k)).toBe(model.get(k))
    if (step % 97 === 0) checkAgainst(d, model, hot)
  }
  checkAgainst(d, model, hot)
  // Emptied, it shrinks back and still works.
  for (const k of [...model.keys()]) d.delete(k)
  expect(d.size).toBe(0)
  expect(d.t.length).toBe(16 * 5)
  d.set('x', 4, hot)
  expect(d.get('x')).toBe(4)
  return d
}

describe('locmem direct index', () => {
  it('agrees with a Map through inserts, overwrites, deletes, growth and shrinking (real hash)', () => {
    for (const seed of [1, 2, 3]) fuzz(undefined, seed, 6000)
  })

  it('agrees with a Map when every short key hashes alike: bounded probes, the rest in the Map', () => {
    const d = fuzz(() => 7, 11, 4000)
    // Sixteen colliding keys fill the probe run; the seventeenth goes to the Map.
    const hot = hotFor(32)
    for (let i = 0; i < 17; i++) d.set(`c${i}`, i * 4, hot)
    expect(d.find('c0')).toBeGreaterThanOrEqual(0)
    expect(d.find('c16')).toBe(-1)
    expect(d.other.get('c16')).toBe(64)
    // Deleting from the middle of the run keeps every later key reachable (backward shift).
    d.delete('c3')
    for (let i = 0; i < 17; i++) if (i !== 3) expect(d.get(`c${i}`)).toBe(i * 4)
    expect(d.get('c3')).toBeUndefined()
  })

  it('agrees with a Map when keys fall into a few homes (runs that wrap and interleave)', () => {
    for (const seed of [5, 6]) fuzz((k) => k.length * 15, seed, 6000)
  })

  it('keeps long keys out of the table', () => {
    const d = new DirectIndex()
    const hot = hotFor(4)
    const long = 'x'.repeat(TABLE_KEY_MAX + 1)
    const short = 'y'.repeat(TABLE_KEY_MAX)
    d.set(long, 4, hot)
    d.set(short, 8, hot)
    expect(d.find(long)).toBe(-1)
    expect(d.other.get(long)).toBe(4)
    expect(d.find(short)).toBeGreaterThanOrEqual(0)
    expect(d.get(short)).toBe(8)
  })

  it('hashes with a per-process seed and spreads similar keys', () => {
    const homes = new Set<number>()
    for (let i = 0; i < 1000; i++) homes.add(keyHash(`user:${i}`) & 1023)
    // 1,000 keys into 1,024 homes at random fill ~632 of them; a weak hash fills far fewer.
    expect(homes.size).toBeGreaterThan(550)
    expect(keyHash('user:1')).toBe(keyHash('user:1'))
  })
})

describe('locmem slot copies stay current', () => {
  // Each key is read first (so its slot exists), then changed by one write path, then read.
  const keys = ['s', 'short:key:16chr', 'a-key-longer-than-sixteen-units']

  for (const key of keys) {
    it(`after set, incr, touch, expiry, delete and clear (key of ${key.length} units)`, async () => {
      let now = 5_000_000
      const loc = uniqueKey('slots')
      const c = new LocMemCache({ location: loc, options: { clock: { now: () => now } } })
      await c.set(key, { n: 1 })
      expect(await c.get(key)).toEqual({ n: 1 })
      await c.set(key, { n: 2 })
      expect(await c.get(key)).toEqual({ n: 2 })
      const got = (await c.get(key)) as { n: number }
      got.n = 99 // a copy: the slot's stored value is not the caller's
      expect(await c.get(key)).toEqual({ n: 2 })
      await c.set(key, 10)
      expect(await c.incr(key, 5)).toBe(15)
      expect(await c.get(key)).toBe(15)
      await c.touch(key, 1)
      now += 999
      expect(await c.get(key)).toBe(15)
      now += 1
      expect(await c.get(key)).toBeUndefined() // the slot's coarse expiry was refreshed by touch
      await c.set(key, 'again', null)
      now += 10 ** 9
      expect(await c.get(key)).toBe('again')
      await c.delete(key)
      expect(await c.get(key)).toBeUndefined()
      await c.set(key, 'x')
      expect(await c.get(key)).toBe('x')
      // Another cache on the same store clears it; this cache's slot must not answer.
      await new LocMemCache({ location: loc }).clear()
      expect(await c.get(key)).toBeUndefined()
      // A write through another cache of the store (another prefix, same made key) is seen.
      const same = new LocMemCache({ location: loc })
      await c.set(key, 'mine')
      expect(await c.get(key)).toBe('mine')
      await same.set(key, 'theirs')
      expect(await c.get(key)).toBe('theirs')
      // A value stored with metadata (an envelope) takes the generic path, not the slot's.
      await c.set(key, 'tagged', 300, { tags: ['t'] })
      expect(await c.get(key)).toBe('tagged')
      await c.invalidateTags(['t'])
      expect(await c.get(key)).toBeUndefined()
    })
  }

  it('serves many short keys from the table after culls recycle items', async () => {
    const c = new LocMemCache({
      location: uniqueKey('slots-cull'),
      options: { maxEntries: 50, cullFrequency: 3 },
    })
    for (let i = 0; i < 500; i++) {
      await c.set(`k${i}`, i)
      expect(await c.get(`k${i}`)).toBe(i)
      if (i >= 10) {
        const old = await c.get(`k${i - 10}`)
        expect(old === undefined || old === i - 10).toBe(true)
      }
    }
    let live = 0
    for (let i = 0; i < 500; i++) {
      const v = await c.get(`k${i}`)
      if (v !== undefined) {
        expect(v).toBe(i)
        live++
      }
    }
    expect(live).toBeGreaterThan(0)
    expect(live).toBeLessThanOrEqual(50)
  })
})

describe('locmem shares one answer per primitive value (S_ANSWER)', () => {
  it('returns the same resolved promise for every hit of a primitive until it changes', async () => {
    let now = 7_000_000
    const c = new LocMemCache({ location: uniqueKey('answer'), options: { clock: { now: () => now } } })
    const big = 'x'.repeat(4096)
    await c.set('s', big, 10)
    const first = c.get('s')
    const p = c.get('s')
    expect(c.get('s')).toBe(p) // kept in the slot from the first hit on
    expect(await first).toBe(big)
    expect(await p).toBe(big)
    // Each write replaces the answer: a new value, an incr, an expiry, a delete.
    await c.set('s', 'next', 10)
    expect(c.get('s')).not.toBe(p)
    expect(await c.get('s')).toBe('next')
    await c.set('n', 1, 10)
    c.get('n')
    const n1 = c.get('n')
    expect(c.get('n')).toBe(n1)
    expect(await c.incr('n', 2)).toBe(3)
    expect(await c.get('n')).toBe(3)
    expect(await n1).toBe(1) // an answer already given keeps its value
    now += 10_000
    expect(await c.get('n')).toBeUndefined() // the shared answer is not served past its expiry
    await c.set('s', 'again', null)
    c.get('s')
    await c.delete('s')
    expect(await c.get('s')).toBeUndefined()
    const hits = c.stats().hits
    await c.get('k-missing')
    await c.set('b', false)
    await c.get('b')
    await c.get('b')
    expect(c.stats().hits).toBe(hits + 2) // every shared answer counts as a hit
    await c.set('z', null)
    c.get('z')
    expect(await c.get('z')).toBeNull()
  })

  it('gives each hit of an object its own promise and its own copy', async () => {
    const c = new LocMemCache({ location: uniqueKey('answer-obj') })
    await c.set('o', { a: [1] })
    c.get('o')
    const p = c.get('o')
    const q = c.get('o')
    expect(q).not.toBe(p)
    const [x, y] = await Promise.all([p, q])
    expect(x).toEqual({ a: [1] })
    expect(x).not.toBe(y)
    // isolate: false shares the caller's object, but still not one promise (its `then` is read anew).
    const shared = new LocMemCache({ location: uniqueKey('answer-shared'), options: { isolate: false } })
    const mine = { a: 1 }
    await shared.set('o', mine)
    shared.get('o')
    const r = shared.get('o')
    expect(shared.get('o')).not.toBe(r)
    expect(await r).toBe(mine)
  })

  // A frozen shared promise failed here: Node 20's async_hooks tag each awaited promise.
  it('keeps each awaiting caller in its own async context', async () => {
    const { AsyncLocalStorage } = await import('node:async_hooks')
    const als = new AsyncLocalStorage<string>()
    const c = new LocMemCache({ location: uniqueKey('answer-als') })
    await c.set('s', 'v')
    c.get('s')
    const seen = await Promise.all(
      ['a', 'b', 'c'].map((ctx) =>
        als.run(ctx, async () => {
          const v = await c.get('s')
          return `${ctx}:${v}:${als.getStore()}`
        }),
      ),
    )
    expect(seen).toEqual(['a:v:a', 'b:v:b', 'c:v:c'])
  })
})
