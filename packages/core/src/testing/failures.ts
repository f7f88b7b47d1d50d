/**
 * Rule 15: unreachable storage. Reads answer a miss and emit `error`; writes reject with
 * `CacheUnavailableError`, or resolve `false` under `options.ignoreErrors`; a key the backend
 * cannot take is still a key error. Runs when the backend gives `options.unreachable`. A group
 * of `cacheConformanceSuite` (docs/contract.md §2). No wall-clock time is asserted: a hang fails
 * the test through its own timeout.
 */
import { describe, expect, it } from 'vitest'
import { CacheUnavailableError, InvalidCacheKey } from '../errors.ts'
import type { CacheEvent } from '../events.ts'
import type { Cache, CacheInit } from '../types.ts'
import { type SuiteContext, uniqueKey } from './context.ts'

/**
 * Assert reads answered a miss and reported an error, for backends' fault tests (rule 15). A hang
 * fails the calling test through its own timeout; no wall-clock time is asserted here.
 */
export async function expectMissOnFailure(c: Cache, key: string): Promise<void> {
  const errors: CacheEvent[] = []
  const off = c.on('error', (e) => errors.push(e))
  expect(await c.get(key, 'miss')).toBe('miss')
  expect(await c.has(key)).toBe(false)
  expect(await c.getMany([key])).toEqual({})
  off()
  expect(errors.length).toBeGreaterThan(0)
}

/** Assert a write rejected with `CacheUnavailableError` (rule 15). */
export async function expectWriteUnavailable(c: Cache, key: string): Promise<void> {
  await expect(c.set(key, 1)).rejects.toBeInstanceOf(CacheUnavailableError)
}

/** Register this group's tests for the unreachable caches `ctx.options.unreachable` makes. */
export function failureRules(ctx: SuiteContext): void {
  const factory = ctx.options.unreachable
  if (factory === undefined) return
  const down = async (o?: CacheInit): Promise<Cache> => factory(o)
  describe('rule 15: unreachable storage', () => {
    it('reads answer a miss (or the default) and emit error, counted in stats', async () => {
      const c = await down()
      await expectMissOnFailure(c, uniqueKey())
      expect(c.stats().errors).toBeGreaterThanOrEqual(3)
      await c.close()
    })
    it('writes reject with CacheUnavailableError', async () => {
      const c = await down()
      const k = uniqueKey()
      await expectWriteUnavailable(c, k)
      await expect(c.add(k, 1)).rejects.toBeInstanceOf(CacheUnavailableError)
      await expect(c.delete(k)).rejects.toBeInstanceOf(CacheUnavailableError)
      await expect(c.setMany({ [k]: 1 })).rejects.toBeInstanceOf(CacheUnavailableError)
      await expect(c.incr(k)).rejects.toBeInstanceOf(CacheUnavailableError)
      await c.close()
    })
    it('with ignoreErrors, writes resolve false and setMany names every key', async () => {
      const c = await down({ options: { ignoreErrors: true } })
      const [a, b] = [uniqueKey(), uniqueKey()]
      expect(await c.set(a, 1)).toBe(false)
      expect(await c.add(a, 1)).toBe(false)
      expect(await c.delete(a)).toBe(false)
      expect((await c.setMany({ [a]: 1, [b]: 2 })).sort()).toEqual([a, b].sort())
      expect(await c.get(a, 'miss')).toBe('miss')
      await c.close()
    })
    it('a bad key is still a key problem, not a storage one', async () => {
      const c = await down()
      const bad = `${uniqueKey()} with space`
      if (ctx.options.rejectsBadKeys) {
        await expect(c.get(bad)).rejects.toBeInstanceOf(InvalidCacheKey)
        await expect(c.set(bad, 1)).rejects.toBeInstanceOf(InvalidCacheKey)
      } else {
        const warnings: CacheEvent[] = []
        const off = c.on('warning', (e) => warnings.push(e))
        expect(await c.get(bad, 'miss')).toBe('miss')
        off()
        expect(warnings).toHaveLength(1)
      }
      await c.close()
    })
  })
}
