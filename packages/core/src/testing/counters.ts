/** Rules 7 and 8: `incr`/`decr` and `incrVersion`/`decrVersion`. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { KeyNotFoundError } from '../errors.ts'
import { uniqueKey, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function counterRules(ctx: SuiteContext): void {
  const { make, short, options } = ctx
  describe('rule 7: incr and decr', () => {
    it('change an integer and return the new value', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 1)
      expect(await c.incr(k)).toBe(2)
      expect(await c.get(k)).toBe(2)
      expect(await c.incr(k, 10)).toBe(12)
      expect(await c.decr(k)).toBe(11)
      expect(await c.decr(k, 10)).toBe(1)
      expect(await c.get(k)).toBe(1)
    })
    it('reject a missing key with KeyNotFoundError naming the caller key', async () => {
      const c = await make()
      const k = uniqueKey('missing')
      await expect(c.incr(k)).rejects.toBeInstanceOf(KeyNotFoundError)
      await expect(c.incr(k)).rejects.toThrow(`Key '${k}' not found`)
      await expect(c.decr(k)).rejects.toThrow(`Key '${k}' not found`)
      expect(await c.has(k)).toBe(false)
    })
    it('reject a non-integer value with TypeError', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'abc')
      await expect(c.incr(k)).rejects.toBeInstanceOf(TypeError)
      expect(await c.get(k)).toBe('abc')
    })
    it('reject a stored string or bytes that look like a number, with TypeError, on every backend', async () => {
      const c = await make()
      // memcached's own INCR would add to these digits (its safe_strtoull takes "", " ", "5 x").
      const odd: unknown[] = ['5', '', ' ', '-0', '+7', '5 apples', '\t9', new Uint8Array([0x35])]
      for (const v of odd) {
        const k = uniqueKey()
        await c.set(k, v)
        await expect(c.incr(k), JSON.stringify(String(v))).rejects.toBeInstanceOf(TypeError)
        await expect(c.decr(k)).rejects.toBeInstanceOf(TypeError)
        expect(await c.get(k)).toEqual(v)
      }
    })
    it('keep the entry expiry', async () => {
      const c = await make()
      const k = uniqueKey()
      const forever = uniqueKey()
      await c.set(k, 1, short)
      await c.set(forever, 1, null)
      expect(await c.incr(k)).toBe(2)
      expect(await c.incr(forever)).toBe(2)
      await ctx.waitOut()
      expect(await c.get(k)).toBeUndefined()
      expect(await c.get(forever)).toBe(2)
    })
    it(options.decrFloorsAtZero ? 'decr floors at 0' : 'decr goes negative', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 2)
      expect(await c.decr(k, 5)).toBe(options.decrFloorsAtZero ? 0 : -3)
    })
    it('lose nothing under concurrent increments', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 0)
      await Promise.all(Array.from({ length: 50 }, () => c.incr(k)))
      expect(await c.get(k)).toBe(50)
    })
    it('honour the version option', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 10, undefined, { version: 2 })
      expect(await c.incr(k, 1, { version: 2 })).toBe(11)
      await expect(c.incr(k)).rejects.toBeInstanceOf(KeyNotFoundError)
    })
    it('incr past 2^53 rejects with RangeError and never leaves a rounded number (D5)', async () => {
      const c = await ctx.make({ timeout: null })
      const big = uniqueKey('big')
      await c.set(big, 2 ** 53 - 10)
      await c.incr(big, 5)
      expect(await c.get(big)).toBe(2 ** 53 - 5)
      await expect(c.incr(big, 10)).rejects.toBeInstanceOf(RangeError)
      // locmem, file, db refuse before writing; memcached and redis count natively and hold the exact value.
      expect([2 ** 53 - 5, 2n ** 53n + 5n]).toContainEqual(await c.get(big))
    })
  })

  describe('rule 8: incrVersion and decrVersion', () => {
    it('move the value to the next version and delete the old one', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'answer')
      expect(await c.incrVersion(k)).toBe(2)
      expect(await c.get(k)).toBeUndefined()
      expect(await c.get(k, undefined, { version: 2 })).toBe('answer')
      expect(await c.incrVersion(k, 3, { version: 2 })).toBe(5)
      expect(await c.get(k, undefined, { version: 5 })).toBe('answer')
      expect(await c.decrVersion(k, 1, { version: 5 })).toBe(4)
      expect(await c.get(k, undefined, { version: 4 })).toBe('answer')
      expect(await c.get(k, undefined, { version: 5 })).toBeUndefined()
    })
    it('work for a stored null', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, null)
      expect(await c.incrVersion(k)).toBe(2)
      expect(await c.has(k, { version: 2 })).toBe(true)
    })
    it('reject a missing key with KeyNotFoundError', async () => {
      const c = await make()
      const k = uniqueKey()
      await expect(c.incrVersion(k)).rejects.toBeInstanceOf(KeyNotFoundError)
      await expect(c.decrVersion(k)).rejects.toThrow(`Key '${k}' not found`)
    })
    it('keep the remaining expiry', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'v', short)
      await c.incrVersion(k)
      expect(await c.get(k, undefined, { version: 2 })).toBe('v')
      await ctx.waitOut()
      expect(await c.get(k, undefined, { version: 2 })).toBeUndefined()
    })
  })
}
