/**
 * Conformance group for docs/contract.md rule 17 (tags), run by every backend through
 * `cacheConformanceSuite`: invalidating a tag makes every entry carrying it miss through every
 * read (`get`, `getMany`, `has`, `entries`, `getOrSet`), an evicted counter makes its entries
 * miss, and an invalidation while a `getOrSet` factory runs wins. `expireTags` makes them stale
 * instead: missed by `get`/`getMany`/`has`, listed as stale, and still served by `getOrSet` under
 * `staleWhileRevalidate` / `staleIfError` within windows counted from the expiry.
 */
import { describe, expect, it } from 'vitest'
import { TAG_KEY_PREFIX } from '../tags.ts'
import type { Cache } from '../types.ts'
import { collect, eventually, type SuiteContext, uniqueKey } from './context.ts'

const unique = uniqueKey
const list = (c: Cache) => collect(c)

/** Rule 17 (tags): one group of the conformance suite. */
export function tagRules(ctx: SuiteContext): void {
  const make = () => ctx.make()
  // Let `ms` pass: move the fake clock, or sleep.
  const pass = (ms: number) => ctx.pass(ms)
  describe('rule 17: tags', () => {
    it('invalidating a tag makes every entry carrying it miss, and leaves the others', async () => {
      const c = await make()
      const [t, other] = [unique('t'), unique('o')]
      const [a, b, d, plain] = [unique('a'), unique('b'), unique('d'), unique('plain')]
      expect(await c.set(a, { n: 1 }, undefined, { tags: [t] })).toBe(true)
      expect(await c.set(b, 'bee', undefined, { tags: [t, other] })).toBe(true)
      expect(await c.set(d, 'dee', undefined, { tags: [other] })).toBe(true)
      await c.set(plain, 'plain')
      expect(await c.get(a)).toEqual({ n: 1 })
      expect(await c.get(b)).toBe('bee')
      await c.invalidateTags([t])
      expect(await c.get(a, 'gone')).toBe('gone')
      expect(await c.get(b)).toBeUndefined()
      expect(await c.get(d)).toBe('dee')
      expect(await c.get(plain)).toBe('plain')
      expect(await c.getMany([a, b, d, plain])).toEqual({ [d]: 'dee', [plain]: 'plain' })
    })

    it('has() and entries() agree with get() after an invalidation', async () => {
      const c = await make()
      const t = unique('t')
      const [a, b] = [unique('a'), unique('b')]
      await c.set(a, 1, undefined, { tags: [t] })
      await c.set(b, 2)
      expect(await c.has(a)).toBe(true)
      const before = new Map((await list(c)).map((e) => [e.key, e]))
      expect(before.get(a)?.tags).toEqual([t])
      if (before.get(a)?.value !== undefined) expect(before.get(a)?.value).toBe(1)
      expect(before.get(b)?.tags).toBeUndefined()
      // Counters are bookkeeping, never listed as entries.
      expect([...before.keys()].some((k) => k?.startsWith(TAG_KEY_PREFIX))).toBe(false)
      await c.invalidateTags([t])
      expect(await c.has(a)).toBe(false)
      const after = (await list(c)).map((e) => e.key)
      expect(after).not.toContain(a)
      expect(after).toContain(b)
    })

    it('an evicted tag counter makes its entries miss, and a new counter does not revive them', async () => {
      const c = await make()
      const t = unique('t')
      const a = unique('a')
      await c.set(a, 'v', undefined, { tags: [t] })
      // The counter is an ordinary entry under TAG_KEY_PREFIX: deleting it is what eviction does.
      expect(await c.delete(TAG_KEY_PREFIX + t)).toBe(true)
      expect(await c.get(a)).toBeUndefined()
      // A later write under the same tag creates a fresh, unpredictable counter.
      await c.set(unique('b'), 'w', undefined, { tags: [t] })
      expect(await c.get(a)).toBeUndefined()
      expect(await c.has(a)).toBe(false)
    })

    it('an invalidation while a getOrSet factory runs wins', async () => {
      const c = await make()
      const t = unique('t')
      const k = unique('k')
      let runs = 0
      const v = await c.getOrSet(
        k,
        async () => {
          runs++
          await c.invalidateTags([t])
          return 'computed before the invalidation'
        },
        undefined,
        { tags: [t] },
      )
      expect(v).toBe('computed before the invalidation')
      expect(await c.get(k)).toBeUndefined()
      // The next getOrSet computes again, and its value sticks.
      const count = (v: string) => () => {
        runs++
        return v
      }
      expect(await c.getOrSet(k, count('fresh'), undefined, { tags: [t] })).toBe('fresh')
      expect(await c.getOrSet(k, count('again'), undefined, { tags: [t] })).toBe('fresh')
      expect(runs).toBe(2)
    })

    it('an invalidated entry is never served stale, even under staleWhileRevalidate', async () => {
      const c = await make()
      const t = unique('t')
      const k = unique('k')
      const o = { tags: [t], staleWhileRevalidate: 60, staleIfError: 60 }
      expect(await c.getOrSet(k, 'old', 30, o)).toBe('old')
      await c.invalidateTags([t])
      // A hard miss (unlike bentocache #63/#71): the factory runs in the foreground.
      expect(await c.getOrSet(k, 'new', 30, o)).toBe('new')
      await c.invalidateTags([t])
      await expect(c.getOrSet(k, () => Promise.reject(new Error('down')), 30, o)).rejects.toThrow('down')
    })

    it('add and getOrSet treat an invalidated entry as missing', async () => {
      const c = await make()
      const t = unique('t')
      const k = unique('k')
      expect(await c.add(k, 'first', undefined, { tags: [t] })).toBe(true)
      expect(await c.add(k, 'second', undefined, { tags: [t] })).toBe(false)
      await c.invalidateTags([t])
      expect(await c.add(k, 'third', undefined, { tags: [t] })).toBe(true)
      expect(await c.get(k)).toBe('third')
      await c.invalidateTags([t])
      expect(await c.getOrSet(k, 'fourth')).toBe('fourth')
      expect(await c.get(k)).toBe('fourth')
    })

    it('a get told the tags reads the same, and setMany tags every entry', async () => {
      const c = await make()
      const [t, u] = [unique('t'), unique('u')]
      const [a, b] = [unique('a'), unique('b')]
      expect(await c.setMany({ [a]: 1, [b]: 2 }, undefined, { tags: [t, u] })).toEqual([])
      expect(await c.get(a, undefined, { tags: [t] })).toBe(1)
      await c.invalidateTags([u])
      // The hint names only `t`; the entry's own snapshot (t and u) decides.
      expect(await c.get(a, undefined, { tags: [t] })).toBeUndefined()
      expect(await c.getMany([a, b])).toEqual({})
    })

    it('re-setting without tags makes the entry untagged; versions keep tags apart per key', async () => {
      const c = await make()
      const t = unique('t')
      const k = unique('k')
      await c.set(k, 'tagged', undefined, { tags: [t] })
      await c.set(k, 'v2', undefined, { tags: [t], version: 2 })
      await c.set(k, 'plain')
      await c.invalidateTags([t])
      expect(await c.get(k)).toBe('plain')
      expect(await c.get(k, undefined, { version: 2 })).toBeUndefined()
    })

    it('expireTags makes tagged entries stale, not gone: get/getMany/has miss them, entries() lists them stale', async () => {
      const c = await make()
      const [t, other] = [unique('t'), unique('o')]
      const [a, b, d, plain] = [unique('a'), unique('b'), unique('d'), unique('plain')]
      await c.set(a, { n: 1 }, 60, { tags: [t] })
      await c.set(b, 'bee', 60, { tags: [t, other] })
      await c.set(d, 'dee', 60, { tags: [other] })
      await c.set(plain, 'plain', 60)
      await c.expireTags([t])
      expect(await c.get(a, 'miss')).toBe('miss')
      expect(await c.get(b, undefined, { tags: [t, other] })).toBeUndefined()
      expect(await c.has(a)).toBe(false)
      expect(await c.getMany([a, b, d, plain])).toEqual({ [d]: 'dee', [plain]: 'plain' })
      const listed = new Map((await list(c)).map((e) => [e.key, e]))
      expect(listed.has(a)).toBe(true)
      if (listed.get(a)?.value !== undefined) {
        expect(listed.get(a)?.state).toBe('stale')
        expect(listed.get(d)?.state).toBe('fresh')
      }
      // Still stored: getOrSet serves it under staleWhileRevalidate while one refresh runs.
      let runs = 0
      const refresh = () => {
        runs++
        return { n: 2 }
      }
      const swr = { tags: [t], staleWhileRevalidate: 60 }
      expect(await c.getOrSet(a, refresh, 60, swr)).toEqual({ n: 1 })
      expect(await eventually(async () => ((await c.get(a)) as { n: number } | undefined)?.n, 2)).toBe(2)
      expect(await c.getOrSet(a, refresh, 60, swr)).toEqual({ n: 2 })
      expect(runs).toBe(1)
      // ... and under staleIfError when the factory fails.
      const down = () => Promise.reject(new Error('down'))
      expect(await c.getOrSet(b, down, 60, { tags: [t, other], staleIfError: 60 })).toBe('bee')
      // Without a stale window it is a miss: the factory runs in the foreground.
      expect(await c.getOrSet(b, 'bee2', 60, { tags: [t, other] })).toBe('bee2')
      expect(await c.get(b)).toBe('bee2')
    })

    it('expireTags: the stale windows count from the expiry, and a later invalidateTags makes it gone', async () => {
      const c = await make()
      const t = unique('t')
      const [a, b] = [unique('a'), unique('b')]
      await c.set(a, 'old-a', 60, { tags: [t] })
      await c.set(b, 'old-b', 60, { tags: [t] })
      await c.expireTags([t])
      await pass(400)
      // 0.3 s windows are over 0.4 s after the expiry: the factory's value, in the foreground.
      expect(await c.getOrSet(a, 'new-a', 60, { tags: [t], staleWhileRevalidate: 0.3 })).toBe('new-a')
      const down = () => Promise.reject(new Error('down'))
      await expect(c.getOrSet(b, down, 60, { tags: [t], staleIfError: 0.3 })).rejects.toThrow('down')
      // Soft, then hard: never served stale again (bentocache #63/#71).
      await c.set(a, 'x', 60, { tags: [t] })
      await c.expireTags([t])
      await c.invalidateTags([t])
      expect(await c.getOrSet(a, 'y', 60, { tags: [t], staleWhileRevalidate: 60, staleIfError: 60 })).toBe(
        'y',
      )
      // An entry written after an expiry is fresh; an expiry while a factory runs wins, softly.
      expect(await c.get(a)).toBe('y')
      const k = unique('k')
      const v = await c.getOrSet(
        k,
        async () => {
          await c.expireTags([t])
          return 'computed'
        },
        60,
        { tags: [t] },
      )
      expect(v).toBe('computed')
      expect(await c.get(k)).toBeUndefined()
      expect(await c.getOrSet(k, 'next', 60, { tags: [t], staleWhileRevalidate: 60 })).toBe('computed')
      await c.expireTags([])
    })

    it('rejects bad tags with TypeError and ignores an empty list', async () => {
      const c = await make()
      await expect(c.set(unique('k'), 1, undefined, { tags: ['has space'] })).rejects.toBeInstanceOf(
        TypeError,
      )
      await expect(c.set(unique('k'), 1, undefined, { tags: [''] })).rejects.toBeInstanceOf(TypeError)
      await expect(c.invalidateTags('abc' as unknown as string[])).rejects.toBeInstanceOf(TypeError)
      await c.invalidateTags([])
      const k = unique('k')
      expect(await c.set(k, 1, undefined, { tags: [] })).toBe(true)
      expect(await c.get(k)).toBe(1)
    })
  })
}
