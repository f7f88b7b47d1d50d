/**
 * The `tiered` backend (docs/contract.md rule 18) in one process: the whole conformance suite
 * on tiered(locmem, locmem); backfill bounded by L2's remaining lifetime (injected clock); two
 * tiered caches with their own L1 over one L2 kept coherent by a real BroadcastChannel bus;
 * stats per tier. Two Node processes over Redis: packages/node/test/tiered-redis.test.ts.
 */
import { describe, expect, it, vi } from 'vitest'
import {
  BroadcastChannelBus,
  CacheUnavailableError,
  createCaches,
  LocMemCache,
  TieredCache,
  type TieredStats,
} from '../src/index.ts'
import { cacheConformanceSuite, uniqueKey } from '../src/testing/index.ts'

cacheConformanceSuite('tiered(locmem, locmem)', {
  create: (o) =>
    new TieredCache({
      ...o,
      options: {
        ...o?.options,
        tiers: [
          new LocMemCache({ location: uniqueKey('l1'), timeout: 60 }),
          new LocMemCache({ location: uniqueKey('l2'), options: { maxEntries: 100_000 } }),
        ],
      },
    }),
  culls: false,
  // Expiry happens inside the tiers, which emit `expire` on themselves, not on the tiered cache.
  expiresOnServer: true,
})

const waitFor = async (check: () => Promise<boolean>, deadlineMs = 5000): Promise<boolean> => {
  const end = Date.now() + deadlineMs
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 5))
  }
  return check()
}

describe('tiered specifics', () => {
  it('reads L1, then L2, backfilling L1 for min(L1 cap, L2 remaining) and never longer', async () => {
    let now = 1_000_000
    const clock = { now: () => now }
    const l1 = new LocMemCache({ location: uniqueKey('l1'), timeout: 30, options: { clock } })
    const l2 = new LocMemCache({ location: uniqueKey('l2'), options: { clock } })
    const t = new TieredCache({ options: { tiers: [l1, l2], clock } })
    // Written to L2 only, with 10 s to live; 4 s later the tiered read copies it into L1.
    await l2.set('short', 'v', 10)
    now += 4_000
    expect(await t.get('short')).toBe('v')
    const [copy] = await collectKey(l1, 'short')
    expect(copy?.expiresAt).toBe(1_000_000 + 10_000)
    // A long-lived L2 entry is capped by L1's own timeout (30 s).
    await l2.set('long', 'w', 3600)
    expect(await t.get('long')).toBe('w')
    expect((await collectKey(l1, 'long'))[0]?.expiresAt).toBe(now + 30_000)
    // When L2's entry expires, the L1 copy has expired with it.
    now += 6_000
    expect(await l1.get('short')).toBeUndefined()
    expect(await t.get('short')).toBeUndefined()
    const s = t.stats() as TieredStats
    expect(s.tiers[0]).toMatchObject({ tier: 'l1', backend: 'locmem', hits: 0 })
    expect(s.tiers[1]).toMatchObject({ tier: 'l2', backend: 'locmem', hits: 2 })
    expect(await t.get('long')).toBe('w')
    expect((t.stats() as TieredStats).tiers[0].hits).toBe(1)
  })

  it('getMany backfills L1 with the same bound as get: min(L1 cap, L2 remaining)', async () => {
    let now = 2_000_000
    const clock = { now: () => now }
    const l1 = new LocMemCache({ location: uniqueKey('l1'), timeout: 30, options: { clock } })
    const l2 = new LocMemCache({ location: uniqueKey('l2'), options: { clock } })
    const t = new TieredCache({ options: { tiers: [l1, l2], clock } })
    await l2.setMany({ s1: 'a', s2: 'b' }, 10)
    await l2.set('long', 'c', 3600)
    await l2.set('forever', 'd', null)
    now += 4_000
    expect(await t.getMany(['s1', 's2', 'long', 'forever', 'absent'])).toEqual({
      s1: 'a',
      s2: 'b',
      long: 'c',
      forever: 'd',
    })
    const copies = new Map<string, number | null>()
    for await (const e of l1.entries()) copies.set(e.key as string, e.expiresAt)
    expect(Object.fromEntries(copies)).toEqual({
      s1: 2_000_000 + 10_000,
      s2: 2_000_000 + 10_000,
      long: now + 30_000,
      forever: now + 30_000,
    })
    let s = t.stats() as TieredStats
    expect(s.tiers[0]).toMatchObject({ hits: 0, misses: 5, sets: 4 })
    expect(s.tiers[1]).toMatchObject({ hits: 4, misses: 1 })
    // The second read is served by L1 alone; when L2's entries expire, their copies are gone too.
    expect(Object.keys(await t.getMany(['s1', 'long']))).toEqual(['s1', 'long'])
    s = t.stats() as TieredStats
    expect(s.tiers[0].hits).toBe(2)
    expect(s.tiers[1].hits).toBe(4)
    now += 6_000
    expect(await l1.getMany(['s1', 's2'])).toEqual({})
    expect(await t.getMany(['s1', 's2', 'long'])).toEqual({ long: 'c' })
  })

  it('an L1 hit (the fast path) is an isolated copy, counted once, and never reaches L2', async () => {
    const l1 = new LocMemCache({ location: uniqueKey('l1'), timeout: 60 })
    const l2 = new LocMemCache({ location: uniqueKey('l2') })
    const t = new TieredCache({ options: { tiers: [l1, l2] } })
    await t.set('obj', { list: [1, 2] })
    await t.set('v2', 'second version', undefined, { version: 2 })
    const l2Before = l2.stats()
    const got = (await t.get('obj')) as { list: number[] }
    got.list.push(3)
    expect(await t.get('obj')).toEqual({ list: [1, 2] })
    expect(await t.get('v2', undefined, { version: 2 })).toBe('second version')
    expect(await t.get('v2')).toBeUndefined() // another version: an L1 miss, then an L2 miss
    const s = t.stats() as TieredStats
    expect([s.hits, s.misses]).toEqual([3, 1])
    expect(s.tiers[0]).toMatchObject({ hits: 3, misses: 1 })
    expect(s.tiers[1]).toMatchObject({ hits: 0, misses: 1 })
    expect(l2.stats()).toEqual(l2Before) // tiers are reached through their storage primitives
  })

  it('two caches with their own L1 over one L2: the BroadcastChannel bus drops stale L1 copies', async () => {
    const l2loc = uniqueKey('shared-l2')
    const channel = uniqueKey('bus')
    const make = () =>
      new TieredCache({
        options: {
          tiers: [
            { backend: 'locmem', location: uniqueKey('own-l1'), timeout: 3600 },
            { backend: 'locmem', location: l2loc },
          ],
          bus: new BroadcastChannelBus(channel),
        },
      })
    const a = make()
    const b = make()
    await a.set('k', 'v1')
    expect(await b.get('k')).toBe('v1') // now in b's L1 for an hour
    await a.set('k', 'v2')
    expect(await waitFor(async () => (await b.get('k')) === 'v2')).toBe(true)
    await a.delete('k')
    expect(await waitFor(async () => (await b.get('k')) === undefined)).toBe(true)
    // A tag invalidation travels as its counter's key.
    await a.set('t', 'tagged', undefined, { tags: ['x'] })
    expect(await b.get('t')).toBe('tagged')
    await a.invalidateTags(['x'])
    expect(await waitFor(async () => (await b.get('t')) === undefined)).toBe(true)
    expect((b.stats() as TieredStats).bus.received).toBeGreaterThanOrEqual(3)
    await a.close()
    await b.close()
  })

  it('without a bus, another L1 stays stale until its cap: the documented bound', async () => {
    let now = 5_000_000
    const clock = { now: () => now }
    const l2loc = uniqueKey('l2')
    const make = () =>
      new TieredCache({
        options: {
          clock,
          tiers: [
            { backend: 'locmem', location: uniqueKey('l1'), timeout: 5, options: { clock } },
            { backend: 'locmem', location: l2loc, options: { clock } },
          ],
        },
      })
    const [a, b] = [make(), make()]
    await a.set('k', 'old')
    expect(await b.get('k')).toBe('old')
    await a.set('k', 'new')
    expect(await b.get('k')).toBe('old')
    now += 5_000
    expect(await b.get('k')).toBe('new')
  })

  it('warns on every L1 hit of a bad key, as Django warns on every call (no memo of made keys)', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const l1 = new LocMemCache({ location: uniqueKey('l1') })
      const l2 = new LocMemCache({ location: uniqueKey('l2') })
      const t = new TieredCache({ options: { tiers: [l1, l2] } })
      await t.set('has space', 'v')
      const before = warn.mock.calls.length
      // Both reads are L1 hits through the fast path; each must warn.
      expect(await t.get('has space')).toBe('v')
      const afterFirst = warn.mock.calls.length
      expect(afterFirst).toBeGreaterThan(before)
      expect(await t.get('has space')).toBe('v')
      expect(warn.mock.calls.length - afterFirst).toBe(afterFirst - before)
      expect(String(warn.mock.calls.at(-1)?.[0])).toMatch(/has space/)
    } finally {
      warn.mockRestore()
    }
  })

  it('is configured by name with aliases as tiers', async () => {
    const reg = createCaches({
      near: { backend: 'locmem', location: uniqueKey('near'), timeout: 10 },
      far: { backend: 'locmem', location: uniqueKey('far') },
      both: { backend: 'tiered', options: { tiers: ['near', 'far'] } },
    })
    // The registry resolves alias tiers in the process-wide `caches`, so give caches here.
    const t = new TieredCache({ options: { tiers: [reg.get('near'), reg.get('far')] } })
    await t.set('a', 1)
    expect(await reg.get('far').get(t.makeKey('a').split(':').slice(2).join(':'))).toBe(1)
    expect(reg.get('both').backendName).toBe('tiered')
    // @ts-expect-error tiers is [l1, l2] in the types too
    expect(() => createCaches({ bad: { backend: 'tiered', options: { tiers: ['only-one'] } } })).toThrow(
      /tiers/,
    )
  })
})

async function collectKey(c: LocMemCache, key: string) {
  const out = []
  for await (const e of c.entries()) if (e.key === key) out.push(e)
  return out
}

describe('tiered timeouts (rule 15 through rule 18)', () => {
  /** An I/O-like L2 whose writes take `delayMs` (on fake time) and which allows itself 5 s. */
  class SlowL2 extends LocMemCache {
    protected override readonly usesIO = true
    delayMs = 1500
    protected override async _set(rawKey: string, value: unknown, expiresAt: number | null) {
      await new Promise((r) => setTimeout(r, this.delayMs))
      return super._set(rawKey, value, expiresAt)
    }
  }
  const make = (tieredOptions: Record<string, unknown> = {}) => {
    const l2 = new SlowL2({ location: uniqueKey('slow'), options: { timeoutMs: 5000 } })
    const l1 = new LocMemCache({ location: uniqueKey('l1') })
    return new TieredCache({ options: { tiers: [l1, l2], ...tieredOptions } })
  }

  it('a write that L2 answers within its own timeoutMs succeeds, past the tiered default of 1 s', async () => {
    vi.useFakeTimers()
    try {
      const t = make()
      const done = t.set('k', 'v')
      await vi.advanceTimersByTimeAsync(1600)
      await expect(done).resolves.toBe(true)
      expect(await t.get('k')).toBe('v')
    } finally {
      vi.useRealTimers()
    }
  })

  it('a timeoutMs set on the tiered alias bounds the call through both tiers', async () => {
    vi.useFakeTimers()
    try {
      const t = make({ timeoutMs: 200 })
      const done = t.set('k', 'v')
      const settled = expect(done).rejects.toBeInstanceOf(CacheUnavailableError)
      await vi.advanceTimersByTimeAsync(1600)
      await settled
    } finally {
      vi.useRealTimers()
    }
  })
})
