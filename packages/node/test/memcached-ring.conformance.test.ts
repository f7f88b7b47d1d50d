/**
 * The shared conformance suite (API.md §2) against a 3-server ring (ketama) of its own, so
 * the suite's `clear()` (flush_all) cannot wipe other test files' keys.
 */
import type { Cache, CacheInit } from '@cachework/core'
import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { MemcachedProcess } from './support/memcached-server.ts'

let servers: MemcachedProcess[] = []
const made: Cache[] = []

beforeAll(async () => {
  servers = await Promise.all([0, 1, 2].map(() => MemcachedProcess.start()))
})

afterAll(async () => {
  await Promise.all(made.map((c) => c.close()))
  await Promise.all(servers.map((s) => s.stop()))
})

cacheConformanceSuite('memcached (3 servers)', {
  create(overrides: CacheInit = {}) {
    // A unique prefix per cache isolates tests on the shared server (the suite's prefix test sets its own).
    const c = new MemcachedCache({
      keyPrefix: uniqueKey('p'),
      ...overrides,
      // Generous: the machine running the tests may be loaded; rule 15 has its own tests.
      options: { timeoutMs: 5000, ...overrides.options },
      location: servers.map((s) => s.location),
    })
    made.push(c)
    return c
  },
  shortTimeout: 1,
  expiryWaitMs: 2600,
  culls: false,
  decrFloorsAtZero: true,
  rejectsBadKeys: true,
})
