/** Rules 4 and 5: `get`/`has` and `set`/`add`/`touch`/`delete`. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function basicRules(ctx: SuiteContext): void {
  const { make, short } = ctx
  describe('rule 4: get and has', () => {
    it('returns undefined or the default on a miss', async () => {
      const c = await make()
      const k = uniqueKey()
      expect(await c.get(k)).toBeUndefined()
      expect(await c.get(k, 'default')).toBe('default')
      expect(await c.has(k)).toBe(false)
    })
    it('returns a stored null as null, and has() is true for it', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, null)
      expect(await c.get(k)).toBeNull()
      expect(await c.get(k, 'default')).toBeNull()
      expect(await c.has(k)).toBe(true)
    })
    it('returns a stored undefined as undefined, and has() is true for it', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, undefined)
      expect(await c.has(k)).toBe(true)
      expect(await c.get(k, 'default')).toBeUndefined()
    })
  })

  describe('rule 5: set, add, touch, delete', () => {
    it('set stores and overwrites, returning true', async () => {
      const c = await make()
      const k = uniqueKey()
      expect(await c.set(k, 'value')).toBe(true)
      expect(await c.get(k)).toBe('value')
      expect(await c.set(k, 'other')).toBe(true)
      expect(await c.get(k)).toBe('other')
    })
    it('add stores only when the key is missing', async () => {
      const c = await make()
      const k = uniqueKey()
      expect(await c.add(k, 'value')).toBe(true)
      expect(await c.add(k, 'newvalue')).toBe(false)
      expect(await c.get(k)).toBe('value')
    })
    it('add stores when the key has expired', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'old', short)
      await ctx.waitOut()
      expect(await c.add(k, 'new')).toBe(true)
      expect(await c.get(k)).toBe('new')
    })
    it('touch gives a live entry a new expiry', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'v', short)
      expect(await c.touch(k, null)).toBe(true)
      await ctx.waitOut()
      expect(await c.get(k)).toBe('v')
      expect(await c.touch(k, short)).toBe(true)
      await ctx.waitOut()
      expect(await c.get(k)).toBeUndefined()
    })
    it('touch with 0 expires the entry', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'v')
      expect(await c.touch(k, 0)).toBe(true)
      expect(await c.get(k)).toBeUndefined()
    })
    it('touch returns false for a missing or expired key, never throwing', async () => {
      const c = await make()
      const k = uniqueKey()
      expect(await c.touch(k)).toBe(false)
      await c.set(k, 'v', short)
      await ctx.waitOut()
      expect(await c.touch(k)).toBe(false)
      expect(await c.get(k)).toBeUndefined()
    })
    it('delete says whether something was removed', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'v')
      expect(await c.delete(k)).toBe(true)
      expect(await c.get(k)).toBeUndefined()
      expect(await c.delete(k)).toBe(false)
    })
  })
}
