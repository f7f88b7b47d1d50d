/**
 * docs/contract.md rule 18 on real servers: an L2 hit copied into L1 (by `get` and by `getMany`)
 * never outlives the L2 entry, whose remaining lifetime comes from redis `PTTL` and memcached
 * `mg <key> t`; a long-lived entry's copy is capped by L1's own timeout. Expiry times are
 * compared with the moment of the write, never timed.
 */
import { type Cache, LocMemCache, TieredCache, type TieredStats } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { RedisCache } from '../src/redis.ts'
import { MemcachedProcess } from './support/memcached-server.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { RedisProcess } from './support/redis-server.ts'

let mc: MemcachedProcess
let redis: RedisProcess
beforeAll(async () => {
  ;[mc, redis] = await Promise.all([MemcachedProcess.start(), RedisProcess.start()])
})
afterAll(async () => {
  await Promise.all([mc?.stop(), redis?.stop()])
})

const CAP_S = 600

async function copies(l1: LocMemCache): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>()
  for await (const e of l1.entries()) out.set(e.key as string, e.expiresAt)
  return out
}

/** `slackMs`: how much later than its nominal time L2 may drop an entry (memcached: whole seconds). */
async function check(l2: Cache, slackMs: number): Promise<void> {
  const l1 = new LocMemCache({ location: uniqueKey('l1'), timeout: CAP_S })
  const t = new TieredCache({ options: { tiers: [l1, l2] } })
  const before = Date.now()
  // Written through the tiered cache (its keys), then L1 emptied: the reads below backfill it.
  expect(await t.setMany({ 'short-get': 'a', 'short-many': 'b' }, 5)).toEqual([])
  expect(await t.setMany({ 'long-get': 'c', 'long-many': 'd' }, 3600)).toEqual([])
  const after = Date.now()
  await l1.clear()
  expect((await copies(l1)).size).toBe(0)
  expect(await t.get('short-get')).toBe('a')
  expect(await t.get('long-get')).toBe('c')
  expect(await t.getMany(['short-many', 'long-many'])).toEqual({ 'short-many': 'b', 'long-many': 'd' })
  const read = Date.now()
  const got = await copies(l1)
  expect((t.stats() as TieredStats).tiers[1].hits).toBe(4)
  expect([...got.keys()].sort()).toEqual(['long-get', 'long-many', 'short-get', 'short-many'])
  for (const k of ['short-get', 'short-many']) {
    const at = got.get(k) as number
    // Never past L2's expiry (written between `before` and `after`, 5 s to live).
    expect(at).toBeLessThanOrEqual(after + 5_000 + slackMs)
    expect(at).toBeGreaterThan(before)
  }
  for (const k of ['long-get', 'long-many']) {
    const at = got.get(k) as number
    expect(at).toBeLessThanOrEqual(read + CAP_S * 1000)
    expect(at).toBeLessThan(before + 3600 * 1000)
  }
  await t.close()
}

describe('tiered backfill is bounded by L2’s remaining lifetime on real servers', () => {
  it('redis (PTTL)', async () => {
    const l2 = new RedisCache({
      location: redis.url,
      keyPrefix: uniqueKey('bf'),
      options: { timeoutMs: 5000 },
    })
    await untilWritable(l2)
    await check(l2, 0)
  })

  it('memcached (mg t)', async () => {
    const l2 = new MemcachedCache({
      location: mc.location,
      keyPrefix: uniqueKey('bf'),
      options: { timeoutMs: 5000 },
    })
    // Memcached keeps whole-second TTLs on a clock that ticks once a second (protocol.txt
    // "Expiration times"), so its entry may live up to a second past the nominal time.
    await check(l2, 1000)
  })
})
