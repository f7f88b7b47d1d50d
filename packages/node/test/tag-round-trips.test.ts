/**
 * docs/contract.md rule 17's cost, counted: on memcached and redis, through a proxy that counts
 * round trips (support/round-trip-proxy.ts), sequential reads of hits cost
 * - an untagged get: 1;
 * - a tagged get told its tags (`get(k, d, { tags })`) and a tagged `getOrSet` hit: 1 (the entry
 *   and its counters in one multi-get / MGET);
 * - a tagged get not told its tags: 2 (the entry, then its counters): one more, the limit;
 * - `getMany` of tagged entries: 2 in all.
 * Round trips are counted, never timed; the bench's `tiers` suite shows what they cost.
 */
import type { Cache } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { RedisCache } from '../src/redis.ts'
import { MemcachedProcess } from './support/memcached-server.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { RedisProcess } from './support/redis-server.ts'
import { RoundTripProxy } from './support/round-trip-proxy.ts'

let mc: MemcachedProcess
let redis: RedisProcess
const proxies: RoundTripProxy[] = []
beforeAll(async () => {
  ;[mc, redis] = await Promise.all([MemcachedProcess.start(), RedisProcess.start()])
})
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()))
  await Promise.all([mc?.stop(), redis?.stop()])
})

const N = 10
const TAGS = ['article', 'list']

/** Round trips per call of `op` over N sequential calls. */
async function perCall(proxy: RoundTripProxy, op: (i: number) => Promise<unknown>): Promise<number> {
  proxy.reset()
  for (let i = 0; i < N; i++) await op(i)
  return proxy.roundTrips / N
}

async function check(c: Cache, proxy: RoundTripProxy): Promise<void> {
  const plain = Array.from({ length: N }, (_, i) => `plain-${i}`)
  const tagged = Array.from({ length: N }, (_, i) => `tagged-${i}`)
  for (let i = 0; i < N; i++) {
    expect(await c.set(plain[i] as string, `p${i}`, 60)).toBe(true)
    expect(await c.set(tagged[i] as string, `t${i}`, 60, { tags: TAGS })).toBe(true)
  }
  // Every read below is a hit (so the count is of the hit path), on connections already open.
  for (const k of [...plain, ...tagged]) expect(await c.get(k)).toBeDefined()
  const hit = (want: unknown) => (got: unknown) => expect(got).toBe(want)
  expect(await perCall(proxy, (i) => c.get(plain[i] as string).then(hit(`p${i}`)))).toBe(1)
  expect(
    await perCall(proxy, (i) => c.get(tagged[i] as string, undefined, { tags: TAGS }).then(hit(`t${i}`))),
  ).toBe(1)
  expect(
    await perCall(proxy, (i) =>
      c.getOrSet(tagged[i] as string, () => 'recomputed', 60, { tags: TAGS }).then(hit(`t${i}`)),
    ),
  ).toBe(1)
  expect(await perCall(proxy, (i) => c.get(tagged[i] as string).then(hit(`t${i}`)))).toBe(2)
  proxy.reset()
  expect(Object.keys(await c.getMany(tagged)).length).toBe(N)
  expect(proxy.roundTrips).toBe(2)
  // After an invalidation the hinted read is still one round trip, and a miss.
  await c.invalidateTags(['list'])
  expect(
    await perCall(proxy, (i) => c.get(tagged[i] as string, 'gone', { tags: TAGS }).then(hit('gone'))),
  ).toBe(1)
}

describe('a tagged get costs at most one round trip more than an untagged one (rule 17)', () => {
  it('memcached', async () => {
    const proxy = await RoundTripProxy.start(mc.port)
    proxies.push(proxy)
    const c = new MemcachedCache({
      location: `127.0.0.1:${proxy.port}`,
      keyPrefix: uniqueKey('rt'),
      options: { timeoutMs: 5000 },
    })
    await check(c, proxy)
    await c.close()
  })

  it('redis', async () => {
    const proxy = await RoundTripProxy.start(redis.port)
    proxies.push(proxy)
    const c = new RedisCache({
      location: `redis://127.0.0.1:${proxy.port}`,
      keyPrefix: uniqueKey('rt'),
      options: { timeoutMs: 5000 },
    })
    await untilWritable(c)
    await check(c, proxy)
    await c.close()
  })
})
