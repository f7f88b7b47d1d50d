/** The dummy backend's contract (Django's DummyCache, django/core/cache/backends/dummy.py): it stores nothing. */
import { expect, it } from 'vitest'
import { KeyNotFoundError } from '../errors.ts'
import type { CacheEvent } from '../events.ts'
import type { EntryInfo } from '../types.ts'
import { type SuiteContext, uniqueKey } from './context.ts'

/** Register the tests for a backend whose `stores` is false. */
export function dummyRules(ctx: SuiteContext): void {
  const { make } = ctx
  it('stores nothing: every read misses', async () => {
    const c = await make()
    const k = uniqueKey()
    expect(await c.set(k, 'v')).toBe(true)
    expect(await c.get(k)).toBeUndefined()
    expect(await c.get(k, 'dflt')).toBe('dflt')
    expect(await c.has(k)).toBe(false)
    expect(await c.add(k, 'v')).toBe(true)
    expect(await c.getMany([k])).toEqual({})
    expect(await c.setMany({ [k]: 1 })).toEqual([])
    await c.deleteMany([k])
    expect(await c.touch(k)).toBe(false)
    expect(await c.delete(k)).toBe(false)
    await c.clear()
    await c.close()
  })
  it('incr and incrVersion find no key', async () => {
    const c = await make()
    const k = uniqueKey()
    await c.set(k, 1)
    await expect(c.incr(k)).rejects.toThrow(`Key '${k}' not found`)
    await expect(c.decr(k)).rejects.toBeInstanceOf(KeyNotFoundError)
    await expect(c.incrVersion(k)).rejects.toBeInstanceOf(KeyNotFoundError)
  })
  it('getOrSet returns the computed value every time', async () => {
    const c = await make()
    let calls = 0
    expect(await c.getOrSet(uniqueKey(), () => ++calls)).toBe(1)
    expect(await c.getOrSet(uniqueKey(), () => ++calls)).toBe(2)
  })
  it('still makes and validates keys and values', async () => {
    const c = await make()
    expect(c.makeKey('foo')).toMatch(/:1:foo$/)
    const seen: CacheEvent[] = []
    const off = c.on('warning', (e) => seen.push(e))
    await c.set(`${uniqueKey()} space`, 1)
    off()
    expect(seen).toHaveLength(1)
    // @ts-expect-error a function is refused by the type too
    await expect(c.set(uniqueKey(), () => 1)).rejects.toBeInstanceOf(TypeError)
  })
  it('counts misses and lists no entries', async () => {
    const c = await make()
    await c.get(uniqueKey())
    expect(c.stats().misses).toBe(1)
    const all: EntryInfo[] = []
    for await (const e of c.entries()) all.push(e)
    expect(all).toEqual([])
  })
}
