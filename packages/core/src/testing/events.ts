/** Rule 13: events and `stats()`. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import type { CacheEvent } from '../events.ts'
import { uniqueKey, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function eventRules(ctx: SuiteContext): void {
  const { make, short } = ctx
  describe('rule 13: events and stats', () => {
    it('emits hit, miss, set and delete with alias, backend, key, raw key, version and time', async () => {
      const c = await make()
      const k = uniqueKey()
      const seen: CacheEvent[] = []
      const off = c.on('*', (e) => seen.push(e))
      const before = Date.now()
      await c.get(k)
      await c.set(k, 1)
      await c.get(k)
      await c.delete(k)
      off()
      expect(seen.map((e) => e.type)).toEqual(['miss', 'set', 'hit', 'delete'])
      for (const e of seen) {
        expect(e.alias).toBe(c.alias)
        expect(e.backend).toBe(c.backendName)
        expect(e.key).toBe(k)
        expect(e.rawKey).toBe(c.makeKey(k))
        expect(e.version).toBe(1)
        expect(e.at).toBeGreaterThanOrEqual(before - 1000)
      }
    })
    it('listens per type and stops after unsubscribe', async () => {
      const c = await make()
      const k = uniqueKey()
      const hits: CacheEvent[] = []
      const off = c.on('hit', (e) => hits.push(e))
      await c.set(k, 1)
      await c.get(k)
      await c.get(uniqueKey())
      off()
      await c.get(k)
      expect(hits).toHaveLength(1)
    })
    it('emits expire when a read finds an entry expired', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 1, short)
      const seen: CacheEvent[] = []
      const off = c.on('expire', (e) => seen.push(e))
      await ctx.waitOut()
      await c.get(k)
      off()
      // Servers that expire entries themselves (memcached, redis) cannot tell; the others must.
      const onServer =
        ctx.options.expiresOnServer ?? (c as { backendName: string }).backendName === 'memcached'
      if (!onServer) {
        expect(seen.map((e) => e.key)).toEqual([k])
      }
    })
    it('counts hits, misses, sets and deletes since creation', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.get(k)
      await c.set(k, 1)
      await c.get(k)
      await c.get(k)
      await c.getMany([k, uniqueKey()])
      await c.delete(k)
      expect(c.stats()).toMatchObject({ hits: 3, misses: 2, sets: 1, deletes: 1, errors: 0 })
    })
    it('a listener that throws does not break the operation', async () => {
      const c = await make()
      const off = c.on('set', () => {
        throw new Error('listener')
      })
      expect(await c.set(uniqueKey(), 1)).toBe(true)
      off()
    })
  })
}
