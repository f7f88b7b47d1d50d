/** Rule 10: `clear` and `close`. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, collect, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function lifecycleRules(ctx: SuiteContext): void {
  const { make } = ctx
  describe('rule 10: clear and close', () => {
    it('clear empties the cache', async () => {
      const c = await make()
      const [a, b] = [uniqueKey(), uniqueKey()]
      await c.setMany({ [a]: 1, [b]: 2 })
      await c.clear()
      expect(await c.getMany([a, b])).toEqual({})
      expect(await collect(c)).toEqual([])
    })
    it('a closed cache reopens on next use', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'before')
      await c.close()
      expect(await c.get(k)).toBe('before')
      await c.set(k, 'after')
      await c.close()
      await c.close()
      expect(await c.get(k)).toBe('after')
    })
  })
}
