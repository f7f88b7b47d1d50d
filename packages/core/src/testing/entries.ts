/** Rule 14: `entries()`. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, collect, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function entryRules(ctx: SuiteContext): void {
  const { make, short } = ctx
  describe('rule 14: entries', () => {
    it('yields every live entry with key, version, expiry and value', async () => {
      const c = await make()
      const [a, b] = [uniqueKey('ea'), uniqueKey('eb')]
      await c.set(a, { x: 1 }, null)
      await c.set(b, 'bee', 100, { version: 2 })
      await c.set(uniqueKey('gone'), 1, 0)
      const all = await collect(c)
      const byKey = new Map(all.map((e) => [e.key, e]))
      expect(byKey.get(a)).toMatchObject({ rawKey: c.makeKey(a), key: a, version: 1, expiresAt: null })
      expect(byKey.get(b)).toMatchObject({ rawKey: c.makeKey(b, 2), key: b, version: 2 })
      const exp = byKey.get(b)?.expiresAt as number
      expect(exp).toBeGreaterThan(Date.now() + 90_000)
      expect(exp).toBeLessThan(Date.now() + 110_000)
      if (byKey.get(a)?.value !== undefined) expect(byKey.get(a)?.value).toEqual({ x: 1 })
      expect(all).toHaveLength(2)
    })
    it('filters by caller-key prefix and honours limit', async () => {
      const c = await make()
      const p = uniqueKey('pre')
      await c.setMany({ [`${p}-1`]: 1, [`${p}-2`]: 2, [uniqueKey('other')]: 3 })
      expect((await collect(c, { prefix: p })).map((e) => e.key).sort()).toEqual([`${p}-1`, `${p}-2`])
      expect(await collect(c, { prefix: p, limit: 1 })).toHaveLength(1)
    })
    it('leaves out expired entries', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 1, short)
      await ctx.waitOut()
      expect((await collect(c)).map((e) => e.key)).not.toContain(k)
    })
  })
}
