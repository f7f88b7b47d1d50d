/** Rule 6: `getMany`, `setMany`, `deleteMany`. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function manyRules(ctx: SuiteContext): void {
  const { make, short } = ctx
  describe('rule 6: getMany, setMany, deleteMany', () => {
    it('getMany returns the found keys only, under the caller keys', async () => {
      const c = await make()
      const [a, b, missing, n] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('m'), uniqueKey('n')]
      await c.set(a, 'a')
      await c.set(b, { b: 2 })
      await c.set(n, null)
      expect(await c.getMany([a, b, missing, n])).toEqual({ [a]: 'a', [b]: { b: 2 }, [n]: null })
      expect(await c.getMany([])).toEqual({})
    })
    it('getMany accepts any iterable, including a generator', async () => {
      const c = await make()
      const a = uniqueKey()
      await c.set(a, 1)
      function* gen() {
        yield a
      }
      expect(await c.getMany(gen())).toEqual({ [a]: 1 })
      expect(await c.getMany(new Set([a]))).toEqual({ [a]: 1 })
    })
    it('getMany honours the version option', async () => {
      const c = await make()
      const a = uniqueKey()
      await c.set(a, 'v2', undefined, { version: 2 })
      expect(await c.getMany([a])).toEqual({})
      expect(await c.getMany([a], { version: 2 })).toEqual({ [a]: 'v2' })
    })
    it('setMany stores a record or an iterable of pairs and returns []', async () => {
      const c = await make()
      const [a, b, d] = [uniqueKey(), uniqueKey(), uniqueKey()]
      expect(await c.setMany({ [a]: 1, [b]: 'two' })).toEqual([])
      expect(await c.setMany(new Map([[d, [3]]]))).toEqual([])
      expect(await c.getMany([a, b, d])).toEqual({ [a]: 1, [b]: 'two', [d]: [3] })
    })
    it('setMany honours the timeout', async () => {
      const c = await make()
      const [a, b] = [uniqueKey(), uniqueKey()]
      await c.setMany({ [a]: 1, [b]: 2 }, short)
      await ctx.waitOut()
      expect(await c.getMany([a, b])).toEqual({})
      await c.setMany({ [a]: 1 }, 0)
      expect(await c.get(a)).toBeUndefined()
    })
    it('deleteMany removes every named key', async () => {
      const c = await make()
      const [a, b, keep] = [uniqueKey(), uniqueKey(), uniqueKey()]
      await c.setMany({ [a]: 1, [b]: 2, [keep]: 3 })
      await c.deleteMany([a, b, uniqueKey('missing')])
      expect(await c.getMany([a, b, keep])).toEqual({ [keep]: 3 })
    })
  })
}
