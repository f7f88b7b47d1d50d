/**
 * Keys as properties (fast-check), run by every backend of the suite (docs/contract.md rules 1,
 * 2, 6, 14): random keys (any Unicode, `__proto__`, ill-formed strings, random versions) behave
 * the same through `get`, `getMany`, `has`, `entries` and `delete`, or are rejected by every one
 * of them; `__proto__` among `getMany`'s keys is data, never a prototype; a per-call version
 * must be an integer.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { collect, type SuiteContext, uniqueKey } from './context.ts'

/** What each of the key operations did with one key: a value, a miss, or a rejection. */
async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await f() }
  } catch (e) {
    return { rejected: (e as Error).name }
  }
}

/** Keys that broke a backend once, or would break a careless one. */
const EXAMPLE_KEYS = ['__proto__', 'constructor', 'toString', 's\ud800', 's\ufffd', ':', '1:x', ':2:', '']

/** Register this group's tests for the caches `ctx` makes. */
export function keyPropertyRules(ctx: SuiteContext): void {
  const runs = ctx.options.propertyRuns ?? 20
  describe('key properties (fast-check, rules 1, 2, 6, 14)', () => {
    it('getMany with __proto__ among the keys: own properties only, never a prototype (D4)', async () => {
      const c = await ctx.make()
      await c.set('__proto__', 5)
      await c.set('obj', { polluted: true })
      const got = await c.getMany(['__proto__', 'obj', 'missing'])
      expect(Object.keys(got).sort()).toEqual(['__proto__', 'obj'])
      expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toBe(5)
      expect(Object.getPrototypeOf(got) === Object.prototype || Object.getPrototypeOf(got) === null).toBe(
        true,
      )
      expect('missing' in got).toBe(false)
      expect('polluted' in got).toBe(false)
      await c.set('__proto__', { polluted: true })
      const again = await c.getMany(['__proto__', 'missing'])
      expect('missing' in again).toBe(false)
      expect((again as Record<string, unknown>).polluted).toBeUndefined()
    })

    it('a per-call version must be an integer', async () => {
      const c = await ctx.make()
      await c.set('v', 1)
      for (const version of ['2', Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
        await expect(c.incrVersion('v', 1, { version: version as number })).rejects.toBeInstanceOf(TypeError)
        await expect(c.get('v', undefined, { version: version as number })).rejects.toBeInstanceOf(TypeError)
      }
      expect(await c.get('v')).toBe(1)
    })

    it('random keys behave the same through get, getMany, has, entries and delete, or are rejected by all', async () => {
      const c = await ctx.make({ timeout: null })
      const keyArb = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.string({
          unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)),
          maxLength: 3,
        }),
        // The key function's own separator and look-alikes of its `prefix:version:` shape.
        fc.string({ unit: fc.constantFrom(':', '1', 'a', ' ', '%', '\u0000'), maxLength: 5 }),
        fc.constantFrom(...EXAMPLE_KEYS),
      )
      // Every key written and left live, by raw key: `entries()` must list each once (rule 14).
      const kept = new Map<string, { key: string; version: number }>()
      await fc.assert(
        fc.asyncProperty(keyArb, fc.constantFrom(1, 2, 7), fc.boolean(), async (raw, version, keep) => {
          const base = uniqueKey('pk')
          const key = `${base}${raw}`
          const opts = { version }
          const set = await outcome(() => c.set(key, 'v', undefined, opts))
          const get = await outcome(() => c.get(key, undefined, opts))
          const many = await outcome(async () => (await c.getMany([key], opts))[key])
          const has = await outcome(() => c.has(key, opts))
          if ('rejected' in (set as object)) {
            for (const o of [get, many, has]) expect(o).toEqual(set)
            expect(await collect(c, { prefix: base })).toEqual([])
            return
          }
          expect(set).toEqual({ ok: true })
          expect(get).toEqual({ ok: 'v' })
          expect(many).toEqual({ ok: 'v' })
          expect(has).toEqual({ ok: true })
          const listed = (await collect(c, { prefix: base })).map((e) => [e.rawKey, e.key, e.version])
          expect(listed).toEqual([[c.makeKey(key, version), key, version]])
          if (keep) {
            kept.set(c.makeKey(key, version), { key, version })
            return
          }
          expect(await c.delete(key, opts)).toBe(true)
          expect(await c.has(key, opts)).toBe(false)
          expect(await collect(c, { prefix: base })).toEqual([])
        }),
        // The named keys always run, then the random ones.
        {
          numRuns: runs,
          seed: 20261202,
          examples: EXAMPLE_KEYS.map((k, i) => [k, [1, 2, 7][i % 3] as number, i % 2 === 0]),
        },
      )
      // All of them at once, unfiltered: none missing, none twice, each with its key and version.
      const all = (await collect(c)).map((e) => [e.rawKey, e.key, e.version])
      expect(all.sort()).toEqual([...kept].map(([raw, e]) => [raw, e.key, e.version]).sort())
    })
  })
}
