/** Rule 11: culling, for backends whose `culls` is true. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import type { CacheEvent } from '../events.ts'
import type { Cache } from '../types.ts'
import { collect, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function cullingRules(ctx: SuiteContext): void {
  const { make, short, options } = ctx
  if (!(options.culls ?? true)) return
  describe('rule 11: culling', () => {
    const fill = async (c: Cache, n: number, prefix: string) => {
      for (let i = 0; i < n; i++) await c.set(`${prefix}${i}`, i)
    }
    it('49 new keys with maxEntries 30 and cullFrequency 3 leave 29, the newest present', async () => {
      const c = await make({ options: { maxEntries: 30, cullFrequency: 3 } })
      await fill(c, 49, 'cull')
      expect((await collect(c)).length).toBe(29)
      expect(await c.get('cull48')).toBe(48)
    })
    it('cullFrequency 0 empties the store when full', async () => {
      const c = await make({ options: { maxEntries: 30, cullFrequency: 0 } })
      await fill(c, 49, 'zero')
      expect((await collect(c)).length).toBe(19)
      expect(await c.get('zero48')).toBe(48)
    })
    it('overwriting a live key never culls', async () => {
      const c = await make({ options: { maxEntries: 10, cullFrequency: 2 } })
      await fill(c, 10, 'ow')
      for (let i = 0; i < 10; i++) await c.set(`ow${i}`, i * 2)
      expect((await collect(c)).length).toBe(10)
      expect(await c.get('ow0')).toBe(0)
      expect(await c.get('ow9')).toBe(18)
    })
    it('expired entries go first', async () => {
      const c = await make({ options: { maxEntries: 10, cullFrequency: 3 } })
      for (let i = 0; i < 5; i++) await c.set(`exp${i}`, i, short)
      for (let i = 0; i < 5; i++) await c.set(`live${i}`, i, null)
      await ctx.waitOut()
      await c.set('newcomer', 1)
      const keys = (await collect(c)).map((e) => e.key).sort()
      expect(keys).toEqual(['live0', 'live1', 'live2', 'live3', 'live4', 'newcomer'])
    })
    it('emits evict events and counts evictions', async () => {
      const c = await make({ options: { maxEntries: 9, cullFrequency: 3 } })
      const evicted: CacheEvent[] = []
      const off = c.on('evict', (e) => evicted.push(e))
      await fill(c, 10, 'ev')
      off()
      expect(evicted.length).toBe(3)
      expect(c.stats().evictions).toBe(3)
    })
    if (options.cullOrder === 'lru') {
      it('removes the least recently used first (get and set count as use)', async () => {
        const c = await make({ options: { maxEntries: 9, cullFrequency: 3 } })
        await fill(c, 9, 'lru')
        await c.get('lru0')
        await c.set('lru1', 'again')
        await c.incr('lru2')
        await c.set('lru-new', 1)
        const keys = new Set((await collect(c)).map((e) => e.key))
        expect(keys.has('lru0')).toBe(true)
        expect(keys.has('lru1')).toBe(true)
        expect(keys.has('lru2')).toBe(true)
        expect(keys.has('lru3')).toBe(false)
        expect(keys.has('lru4')).toBe(false)
        expect(keys.has('lru5')).toBe(false)
        expect(keys.size).toBe(7)
      })
    } else {
      it('removes the soonest to expire first', async () => {
        const c = await make({ options: { maxEntries: 9, cullFrequency: 3 } })
        for (let i = 0; i < 9; i++) await c.set(`soon${i}`, i, i < 3 ? 1000 + i : 5000 + i)
        await c.set('soon-new', 1, 9000)
        const keys = new Set((await collect(c)).map((e) => e.key))
        for (let i = 0; i < 3; i++) expect(keys.has(`soon${i}`)).toBe(false)
        for (let i = 3; i < 9; i++) expect(keys.has(`soon${i}`)).toBe(true)
        expect(keys.has('soon-new')).toBe(true)
      })
    }
  })
}
