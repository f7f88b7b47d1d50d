/**
 * Tags across processes (docs/contract.md rule 17): an invalidation in one process makes the
 * tagged entries miss in another that shares the store (memcached here; the per-backend rule 17
 * group runs inside every backend's conformance suite).
 */
import type { CacheInit } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { runTs, supportFile } from './support/db-child.ts'
import { MemcachedProcess } from './support/memcached-server.ts'

let mc: MemcachedProcess

beforeAll(async () => {
  mc = await MemcachedProcess.start()
})
afterAll(async () => {
  await mc.stop()
})

async function child(init: CacheInit, commands: unknown[]): Promise<unknown[]> {
  const r = await runTs(supportFile('tags-child.ts'), [JSON.stringify(init), JSON.stringify(commands)])
  if (r.code !== 0) throw new Error(`tags-child failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as unknown[]
}

describe('tags across processes (memcached)', () => {
  it('an invalidation in one process makes the tagged entries miss in the other, both ways', async () => {
    const cfg: CacheInit = { location: mc.location, keyPrefix: uniqueKey('p'), options: { timeoutMs: 5000 } }
    const c = new MemcachedCache(cfg)
    const [t, u] = [uniqueKey('t'), uniqueKey('u')]
    const [a, b, d, e] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('d'), uniqueKey('e')]
    await c.set(a, 'a', undefined, { tags: [t] })
    await c.set(b, 'b', undefined, { tags: [t, u] })
    await c.set(d, 'd', undefined, { tags: [u] })
    // The other process sees a, invalidates t, and writes e under u.
    expect(
      await child(cfg, [
        ['get', a],
        ['invalidate', [t]],
        ['set', e, { x: 1 }, [u]],
      ]),
    ).toEqual([{ value: 'a', has: true }, true, true])
    expect(await c.get(a)).toBeUndefined()
    expect(await c.get(b)).toBeUndefined()
    expect(await c.has(b)).toBe(false)
    expect(await c.get(d)).toBe('d')
    expect(await c.get(e)).toEqual({ x: 1 })
    // Invalidated here, missed there.
    await c.invalidateTags([u])
    expect(
      await child(cfg, [
        ['get', e],
        ['get', d],
      ]),
    ).toEqual([
      { value: '<miss>', has: false },
      { value: '<miss>', has: false },
    ])
    await c.close()
  })
})
