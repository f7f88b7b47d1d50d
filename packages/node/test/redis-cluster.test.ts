/**
 * Redis Cluster (three masters, started once for this file): the conformance suite unchanged,
 * getMany split by hash slot, a caller's own `createCluster` client (used, never closed), and a
 * node killed and restarted → the cache recovers by itself.
 */
import { CacheUnavailableError } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { createCluster } from 'redis'
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

  it("options.client: a caller's connected createCluster client serves the cache across slots and stays open on close", async () => {
    const nodes = target?.cluster?.nodes as RedisProcess[]
    const client = createCluster({
      rootNodes: [{ url: nodes[0]?.url as string }],
      defaults: { disableOfflineQueue: true },
    })
    const clientErrors: unknown[] = []
    client.on('error', (e) => clientErrors.push(e))
    await client.connect()
    const mgets = async () => {
      let n = 0
      for (const node of nodes) {
        const line = (await node.info('commandstats')).get('cmdstat_mget')
        n += Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0)
      }
      return n
    }
    const make = () => new RedisCache({ keyPrefix: uniqueKey('own'), options: { client, timeoutMs: 5000 } })
    const c = make()
    const other = make()
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`)
      const slots = new Set(keys.map((k) => hashSlot(c.makeKey(k))))
      expect(slots.size).toBeGreaterThan(3)
      // set/get/add/touch/delete, values exact.
      expect(await c.set('obj', { a: [1, 'x'] }, 60)).toBe(true)
      expect(await c.get('obj')).toEqual({ a: [1, 'x'] })
      expect(await c.add('obj', 'no')).toBe(false)
      expect(await c.touch('obj', null)).toBe(true)
      expect(Number(await client.pTTL(c.makeKey('obj')))).toBe(-1)
      expect(await c.delete('obj')).toBe(true)
      expect(await c.get('obj', 'gone')).toBe('gone')
      // getMany: one MGET per hash slot; setMany / deleteMany across slots.
      expect(await c.setMany(Object.fromEntries(keys.map((k) => [k, k])))).toEqual([])
      const before = await mgets()
      expect(await c.getMany(keys)).toEqual(Object.fromEntries(keys.map((k) => [k, k])))
      expect((await mgets()) - before).toBe(slots.size)
      // incr atomic on the key's node; a version move across slots keeps the value.
      await c.set('n', 1)
      expect(await c.incr('n', 4)).toBe(5)
      expect(await c.incrVersion('n')).toBe(2)
      expect(await c.get('n', undefined, { version: 2 })).toBe(5)
      // clear() walks every master and removes only this cache's keys.
      await other.set('k1', 'theirs')
      let listed = 0
      for await (const _ of c.entries()) listed++
      expect(listed).toBe(keys.length + 1)
      await c.clear()
      expect(await c.getMany(keys)).toEqual({})
      expect(await other.get('k1')).toBe('theirs')
      // The cache never closes what it did not create: the client stays open and usable.
      await c.close()
      await other.close()
      expect(client.isOpen).toBe(true)
      expect(await client.get(other.makeKey('k1'))).toBe('theirs')
      // A closed cache reopens on the same client.
      expect(await other.get('k1')).toBe('theirs')
      await other.close()
      expect(client.isOpen).toBe(true)
      expect(clientErrors).toEqual([])
    } finally {
      client.destroy()
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
