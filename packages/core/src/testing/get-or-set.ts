/** Rule 9: `getOrSet`, one computation per key within one process. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, sleep, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function getOrSetRules(ctx: SuiteContext): void {
  const { make, short } = ctx
  describe('rule 9: getOrSet', () => {
    it('returns the live value without computing', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'cached')
      let calls = 0
      expect(await c.getOrSet(k, () => ++calls)).toBe('cached')
      expect(calls).toBe(0)
    })
    it('stores a plain default or what a factory returns', async () => {
      const c = await make()
      const [a, b, n] = [uniqueKey(), uniqueKey(), uniqueKey()]
      expect(await c.getOrSet(a, 'plain')).toBe('plain')
      expect(await c.get(a)).toBe('plain')
      expect(await c.getOrSet(b, async () => ({ computed: true }))).toEqual({ computed: true })
      expect(await c.get(b)).toEqual({ computed: true })
      expect(await c.getOrSet(n, null)).toBeNull()
      expect(await c.has(n)).toBe(true)
    })
    it('a cold getOrSet counts one miss and one set, and no hit; a warm one counts one hit', async () => {
      const c = await make()
      const k = uniqueKey()
      const before = c.stats()
      const seen: string[] = []
      const offs = (['hit', 'miss', 'set'] as const).map((t) => c.on(t, (e) => seen.push(e.type)))
      await c.getOrSet(k, 'v')
      const cold = c.stats()
      expect([cold.hits - before.hits, cold.misses - before.misses, cold.sets - before.sets]).toEqual([
        0, 1, 1,
      ])
      expect(seen).toEqual(['miss', 'set'])
      await c.getOrSet(k, 'other')
      const warm = c.stats()
      expect([warm.hits - cold.hits, warm.misses - cold.misses, warm.sets - cold.sets]).toEqual([1, 0, 0])
      for (const off of offs) off()
    })
    it('honours the timeout and version', async () => {
      const c = await make()
      const k = uniqueKey()
      expect(await c.getOrSet(k, 'v', short, { version: 3 })).toBe('v')
      expect(await c.get(k, undefined, { version: 3 })).toBe('v')
      expect(await c.get(k)).toBeUndefined()
      await ctx.waitOut()
      expect(await c.get(k, undefined, { version: 3 })).toBeUndefined()
    })
    it('runs one computation for concurrent callers', async () => {
      const c = await make()
      const k = uniqueKey()
      let calls = 0
      const factory = async () => {
        calls++
        await sleep(50)
        return { n: 42 }
      }
      const results = await Promise.all(Array.from({ length: 20 }, () => c.getOrSet(k, factory)))
      expect(calls).toBe(1)
      for (const r of results)
        expect(r).toEqual({ n: 42 })
        // Every caller gets its own copy.
      ;(results[0] as { n: number }).n = 0
      expect(results[1]).toEqual({ n: 42 })
    })
    it('stores nothing and rejects every waiter when the factory throws', async () => {
      const c = await make()
      const k = uniqueKey()
      let calls = 0
      const factory = async () => {
        calls++
        await sleep(20)
        throw new Error('boom')
      }
      const all = await Promise.allSettled(Array.from({ length: 5 }, () => c.getOrSet(k, factory)))
      expect(calls).toBe(1)
      for (const r of all) {
        expect(r.status).toBe('rejected')
        expect((r as PromiseRejectedResult).reason.message).toBe('boom')
      }
      expect(await c.has(k)).toBe(false)
      expect(await c.getOrSet(k, 'later')).toBe('later')
    })
  })
}
