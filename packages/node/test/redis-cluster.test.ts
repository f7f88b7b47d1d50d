/**
 * Redis Cluster (three masters, started once for this file): the conformance suite unchanged,
 * getMany split by hash slot, and a node killed and restarted → the cache recovers by itself.
 */
import { CacheUnavailableError } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { RedisCache } from '../src/redis.ts'
import { hashSlot } from '../src/redis-scripts.ts'
import { type RedisTarget, redisConformanceSuite, untilWritable } from './support/redis-conformance.ts'
import { type RedisProcess, waitFor } from './support/redis-server.ts'

let target: RedisTarget | undefined
redisConformanceSuite('redis (cluster)', 'cluster', (t) => {
  target = t
})

describe('redis (cluster)', () => {
  it('hashSlot matches CLUSTER KEYSLOT, hash tags included', async () => {
    const node = target?.cluster?.nodes[0] as RedisProcess
    for (const k of ['a', 'foo', '{user1000}.following', 'p:1:Iñtër😀', '{}x', 'x{}{y}', 'a{b}c{d}']) {
      expect(hashSlot(k)).toBe(Number(await node.cli('CLUSTER', 'KEYSLOT', k)))
    }
  })

  it('a node killed and restarted: its keys miss (writes fail) while it is down, then everything works again', async () => {
    const cluster = target?.cluster
    const c = new RedisCache({
      location: target?.location,
      keyPrefix: uniqueKey('cl'),
      options: { cluster: true, timeoutMs: 1000 },
    })
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`)
    try {
      await untilWritable(c)
      expect(await c.setMany(Object.fromEntries(keys.map((k) => [k, k])))).toEqual([])
      const victim = cluster?.nodes[1] as RedisProcess
      await victim.kill()
      const got = await c.getMany(keys)
      const n = Object.keys(got).length
      // Some keys live on the dead node: they miss; the others are still there.
      expect(n).toBeGreaterThan(0)
      expect(n).toBeLessThan(keys.length)
      let failedWrites = 0
      for (const k of keys) {
        try {
          await c.set(k, 'again')
        } catch (e) {
          expect(e).toBeInstanceOf(CacheUnavailableError)
          failedWrites++
        }
      }
      expect(failedWrites).toBe(keys.length - n)
      await victim.restart()
      await cluster?.waitHealthy()
      await waitFor(async () => {
        try {
          return (await c.setMany(Object.fromEntries(keys.map((k) => [k, 'back'])))).length === 0
        } catch {
          return false
        }
      }, 'the cache to recover')
      expect(Object.values(await c.getMany(keys))).toEqual(keys.map(() => 'back'))
      await c.set('n', 1)
      expect(await c.incr('n')).toBe(2)
    } finally {
      await c.close()
    }
  })
})
