/**
 * Conformance group for docs/contract.md rule 17 (tags), run by every backend through
 * `cacheConformanceSuite`: invalidating a tag makes every entry carrying it miss through every
 * read (`get`, `getMany`, `has`, `entries`, `getOrSet`), an evicted counter makes its entries
 * miss, and an invalidation while a `getOrSet` factory runs wins.
 */
import { describe, expect, it } from 'vitest'
import { TAG_KEY_PREFIX } from '../tags.ts'
import type { Cache, EntryInfo } from '../types.ts'
import type { SuiteContext } from './context.ts'

let n = 0
const unique = (label: string) =>
  `${label}-${Date.now().toString(36)}-${++n}-${Math.random().toString(36).slice(2, 8)}`

async function list(c: Cache): Promise<EntryInfo[]> {
  const out: EntryInfo[] = []
  for await (const e of c.entries()) out.push(e)
  return out
}

/** Rule 17 (tags): one group of the conformance suite. */
export function tagRules(ctx: SuiteContext): void {
  const make = () => ctx.make()
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
