/**
 * Primary + replica (Django 6.1's RedisCache: writes to the first server, reads from a random
 * replica): the conformance suite unchanged, then reads that go on from the primary when the
 * replica dies and come back to it when it returns.
 */
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it } from 'vitest'
import { RedisCache } from '../src/redis.ts'
import { type RedisTarget, redisConformanceSuite, untilWritable } from './support/redis-conformance.ts'
import { type RedisProcess, waitFor, waitForReplicaLink } from './support/redis-server.ts'

let target: RedisTarget | undefined
redisConformanceSuite('redis (primary + replica)', 'replicated', (t) => {
  target = t
})

async function commandCalls(p: RedisProcess, cmd: string): Promise<number> {
  const line = (await p.info('commandstats')).get(`cmdstat_${cmd}`)
  return line ? Number(/calls=(\d+)/.exec(line)?.[1] ?? 0) : 0
}

describe('redis (primary + replica): where reads go', () => {
  it('reads a key written by another process from the replica, and this process’s own writes from the primary', async () => {
    const { primary, replicas } = target?.replicated ?? {}
    const replica = replicas?.[0] as RedisProcess
    const c = new RedisCache({ location: target?.location, keyPrefix: uniqueKey('r') })
    const k = uniqueKey()
    try {
      // A new cache reads from the primary until its replica connection is ready (on a busy
      // machine that can take a while): wait until one read has reached the replica.
      await waitFor(async () => {
        const calls = await commandCalls(replica, 'get')
        await c.get(uniqueKey())
        return (await commandCalls(replica, 'get')) > calls
      }, 'the replica connection')
      await primary?.cli('SET', c.makeKey(k), '7')
      await waitFor(async () => (await replica.cli('GET', c.makeKey(k))) === '7', 'replication')
      const before = await commandCalls(replica, 'get')
      expect(await c.get(k)).toBe(7)
      expect(await commandCalls(replica, 'get')).toBe(before + 1)
      // This process wrote k2 just now: read from the primary, so it is never missed.
      const k2 = uniqueKey()
      await c.set(k2, 'mine')
      const onPrimary = await commandCalls(primary as RedisProcess, 'get')
      expect(await c.get(k2)).toBe('mine')
      expect(await commandCalls(primary as RedisProcess, 'get')).toBe(onPrimary + 1)
    } finally {
      await c.close()
    }
  })

  it('a killed replica: reads go on from the primary, and use the replica again once it is back', async () => {
    const { primary, replicas } = target?.replicated ?? {}
    const replica = replicas?.[0] as RedisProcess
    const c = new RedisCache({
      location: target?.location,
      keyPrefix: uniqueKey('r'),
      options: { timeoutMs: 1000 },
    })
    const errors: unknown[] = []
    c.on('error', (e) => errors.push(e))
    const keys = Array.from({ length: 20 }, () => uniqueKey())
    try {
      await untilWritable(c)
      for (const k of keys) await primary?.cli('SET', c.makeKey(k), 'v')
      await waitFor(
        async () => (await replica.cli('GET', c.makeKey(keys[19] as string))) === 'v',
        'replication',
      )
      expect(await c.get(keys[0] as string)).toBe('v')
      await replica.kill()
      let found = 0
      for (const k of keys) if ((await c.get(k)) === 'v') found++
      expect(found).toBe(keys.length)
      expect(Object.keys(await c.getMany(keys))).toHaveLength(keys.length)
      await replica.restart()
      await waitForReplicaLink(replica)
      // node-redis reconnects by itself; then reads go to the replica again.
      await waitFor(async () => {
        const before = await commandCalls(replica, 'get')
        await c.get(keys[1] as string)
        return (await commandCalls(replica, 'get')) > before
      }, 'reads to return to the replica')
      expect(await c.get(keys[2] as string)).toBe('v')
    } finally {
      await c.close()
    }
  })
})
