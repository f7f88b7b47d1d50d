/** Rules 1 and 2: making keys (prefix, version, key function) and validating them. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { InvalidCacheKey } from '../errors.ts'
import type { CacheEvent } from '../events.ts'
import { uniqueKey, type SuiteContext } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function keyRules(ctx: SuiteContext): void {
  const { make, options } = ctx
  describe('rule 1: keys', () => {
    it('makes keys as prefix:version:key', async () => {
      const c = await make()
      const p = (c as unknown as { keyPrefix?: string }).keyPrefix ?? ''
      expect(c.makeKey('foo')).toBe(`${p}:1:foo`)
      expect(c.makeKey('foo', 3)).toBe(`${p}:3:foo`)
    })
    it('uses the key prefix and version from the config', async () => {
      const c = await make({ keyPrefix: 'site1', version: 2 })
      expect(c.makeKey('foo')).toBe('site1:2:foo')
    })
    it('keeps versions apart', async () => {
      const c = await make()
      const k = uniqueKey()
      await c.set(k, 'v1')
      await c.set(k, 'v2', undefined, { version: 2 })
      expect(await c.get(k)).toBe('v1')
      expect(await c.get(k, undefined, { version: 1 })).toBe('v1')
      expect(await c.get(k, undefined, { version: 2 })).toBe('v2')
      expect(await c.get(k, undefined, { version: 3 })).toBeUndefined()
    })
    it('keeps prefixes apart', async () => {
      const a = await make({ keyPrefix: uniqueKey('pa') })
      const k = uniqueKey()
      await a.set(k, 'a')
      const b = await make({ keyPrefix: uniqueKey('pb') })
      expect(await b.get(k)).toBeUndefined()
      expect(await a.get(k)).toBe('a')
    })
    it('applies a custom keyFunction', async () => {
      const c = await make({ keyFunction: (key, prefix, version) => `custom-${prefix}-${version}-${key}` })
      expect(c.makeKey('foo')).toMatch(/^custom-.*-1-foo$/)
      const k = uniqueKey()
      await c.set(k, 1)
      expect(await c.get(k)).toBe(1)
    })
  })

  describe('rule 2: key validation', () => {
    const longKey = () => `${uniqueKey()}${'a'.repeat(250)}`
    const spaceKey = () => `${uniqueKey()} with space`
    if (options.rejectsBadKeys) {
      it('rejects a key over 250 characters, a control character or space, reads included', async () => {
        const c = await make()
        for (const k of [longKey(), spaceKey(), `${uniqueKey()}\x00`, `${uniqueKey()}\x7f`]) {
          await expect(c.set(k, 1)).rejects.toBeInstanceOf(InvalidCacheKey)
          await expect(c.get(k)).rejects.toBeInstanceOf(InvalidCacheKey)
          await expect(c.has(k)).rejects.toBeInstanceOf(InvalidCacheKey)
          await expect(c.delete(k)).rejects.toBeInstanceOf(InvalidCacheKey)
        }
      })
      it('rejects a key over 250 bytes in UTF-8 even when under 250 characters', async () => {
        const c = await make()
        const k = `${uniqueKey()}${'清'.repeat(90)}`
        expect([...c.makeKey(k)].length).toBeLessThanOrEqual(250)
        await expect(c.set(k, 1)).rejects.toBeInstanceOf(InvalidCacheKey)
        await expect(c.getMany([k])).rejects.toBeInstanceOf(InvalidCacheKey)
      })
      it('accepts non-ASCII keys within 250 bytes', async () => {
        const c = await make()
        const k = `${uniqueKey()}-清-ü`
        await c.set(k, 'ok')
        expect(await c.get(k)).toBe('ok')
      })
    } else {
      it('warns (CacheKeyWarning and a warning event) for a key over 250 characters, and goes on', async () => {
        const c = await make()
        const seen: CacheEvent[] = []
        const off = c.on('warning', (e) => seen.push(e))
        const k = longKey()
        expect(await c.set(k, 'long')).toBe(true)
        expect(await c.get(k)).toBe('long')
        off()
        expect(seen.length).toBeGreaterThanOrEqual(2)
        expect(seen[0]?.message).toMatch(/longer than 250/)
        expect(seen[0]?.rawKey).toBe(c.makeKey(k))
      })
      it('warns for control characters and space, once per key, and goes on', async () => {
        const c = await make()
        const seen: CacheEvent[] = []
        const off = c.on('warning', (e) => seen.push(e))
        for (const k of [spaceKey(), `${uniqueKey()}\x00\x01`, `${uniqueKey()}\x7f`]) {
          seen.length = 0
          expect(await c.set(k, 'x')).toBe(true)
          expect(seen).toHaveLength(1)
          expect(seen[0]?.message).toMatch(/characters that will cause errors/)
          expect(await c.get(k)).toBe('x')
        }
        off()
      })
      it('does not warn for non-ASCII keys', async () => {
        const c = await make()
        const seen: CacheEvent[] = []
        const off = c.on('warning', (e) => seen.push(e))
        const k = `${uniqueKey()}-清-\u00a0`
        await c.set(k, 1)
        expect(await c.get(k)).toBe(1)
        off()
        expect(seen).toHaveLength(0)
      })
    }
  })
}
