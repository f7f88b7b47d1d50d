/** Rule 3: timeouts in seconds; `null` never expires, `0` or less expires at once. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function timeoutRules(ctx: SuiteContext): void {
  const { make, short } = ctx
  describe('rule 3: timeouts', () => {
    it('a timeout of 0 leaves nothing readable and removes an older value', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'old')
      await c.set(k, 'new', 0)
      expect(await c.get(k)).toBeUndefined()
      expect(await c.has(k)).toBe(false)
    })
    it('a negative timeout expires at once', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'old', null)
      await c.set(k, 'new', -1)
      expect(await c.get(k)).toBeUndefined()
      expect(await c.add(k, 'added', -1)).toBe(true)
      expect(await c.get(k)).toBeUndefined()
    })
    it('a short timeout expires after it passes', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'short', short)
      expect(await c.get(k)).toBe('short')
      await ctx.waitOut()
      expect(await c.get(k)).toBeUndefined()
      expect(await c.get(k, 'dflt')).toBe('dflt')
    })
    it('null never expires and undefined uses the alias default', async () => {
      const c = await make({ timeout: short })
      const forever = uniqueKey()
      const dflt = uniqueKey()
      await c.set(forever, 'forever', null)
      await c.set(dflt, 'default')
      await ctx.waitOut()
      expect(await c.get(forever)).toBe('forever')
      expect(await c.get(dflt)).toBeUndefined()
    })
    it('an alias with a timeout of 0 stores nothing', async () => {
      const c = await make({ timeout: 0 })
      const k = uniqueKey()
      await c.set(k, 'x')
      expect(await c.get(k)).toBeUndefined()
    })
  })
}
