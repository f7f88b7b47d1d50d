/**
 * The shared conformance suite (docs/contract.md §2) against Redis processes of the test file's
 * own: a single server, a primary with a replica, or a three-node cluster.
 */
import type { Cache, CacheInit } from '@cachework/core'
import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll } from 'vitest'
import { RedisCache } from '../../src/redis.ts'
import { freePort } from './free-port.ts'
import { RedisCluster, RedisProcess, type Replicated, startReplicated, waitFor } from './redis-server.ts'

/** Which Redis setup the suite runs on. */
export type RedisSetup = 'single' | 'replicated' | 'cluster'

/** What a setup hands its tests: the location and options a cache needs, and the processes. */
export interface RedisTarget {
  location: string | string[]
  options: Record<string, unknown>
  single?: RedisProcess
  replicated?: Replicated
  cluster?: RedisCluster
  stop(): Promise<void>
}

/** Start the processes of `setup`. */
export async function startRedisTarget(setup: RedisSetup): Promise<RedisTarget> {
  if (setup === 'single') {
    const single = await RedisProcess.start()
    return { location: single.url, options: {}, single, stop: () => single.stop() }
  }
  if (setup === 'replicated') {
    const replicated = await startReplicated(1)
    return { location: replicated.urls, options: {}, replicated, stop: () => replicated.stop() }
  }
  const cluster = await RedisCluster.start(3)
  return { location: cluster.urls, options: { cluster: true }, cluster, stop: () => cluster.stop() }
}

/**
 * Register the conformance suite as `name` on `setup`, started before and stopped after the
 * file's tests; `onTarget` receives the running target for the file's own tests.
 */
export function redisConformanceSuite(
  name: string,
  setup: RedisSetup,
  onTarget?: (t: RedisTarget) => void,
): void {
  let target: RedisTarget | undefined
  const made: Cache[] = []

  beforeAll(async () => {
    target = await startRedisTarget(setup)
    onTarget?.(target)
  })

  afterAll(async () => {
    await Promise.all(made.map((c) => c.close()))
    await target?.stop()
  })

  cacheConformanceSuite(name, {
    create(overrides: CacheInit = {}) {
      const t = target as RedisTarget
      // A unique prefix per cache isolates tests on the shared server; clear() is prefix-scoped.
      const c = new RedisCache({
        keyPrefix: uniqueKey('p'),
        ...overrides,
        // Generous: the machine running the tests may be loaded; rule 15 has its own tests.
        options: { timeoutMs: 5000, ...t.options, ...overrides.options },
        location: t.location,
      })
      made.push(c)
      return c
    },
    async unreachable(overrides: CacheInit = {}) {
      // A port nobody listens on: every call must miss or reject within timeoutMs (rule 15).
      const c = new RedisCache({
        ...overrides,
        options: { timeoutMs: 250, ...(target as RedisTarget).options, ...overrides.options },
        location: `redis://127.0.0.1:${await freePort()}`,
      })
      made.push(c)
      return c
    },
    culls: false,
    expiresOnServer: true,
    // Redis expires with millisecond precision (PX) on the server's clock, which is this
    // machine's: 300 ms after a 200 ms entry was stored it is gone (the suite's default waits 450).
    expiryWaitMs: 300,
  })
}

/**
 * Wait until `c` takes a write (its first call connects: loading node-redis and connecting can
 * outlast a short `timeoutMs` on a loaded machine), so a test's counts start from a live cache.
 */
export async function untilWritable(c: Cache): Promise<void> {
  await waitFor(async () => c.set(uniqueKey('warm'), 1, 5), 'the cache to connect', 20_000)
}
