/**
 * The shared conformance suite (API.md §2) against one real memcached process of its own, so
 * the suite's `clear()` (flush_all) cannot wipe other test files' keys.
 */
import type { Cache, CacheInit } from '@cachework/core'
import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { MemcachedProcess } from './support/memcached-server.ts'

let server: MemcachedProcess
const made: Cache[] = []

beforeAll(async () => {
  server = await MemcachedProcess.start()
})

afterAll(async () => {
  await Promise.all(made.map((c) => c.close()))
  await server?.stop()
})

cacheConformanceSuite('memcached', {
  create(overrides: CacheInit = {}) {
    // A unique prefix per cache isolates tests on the shared server (the suite's prefix test sets its own).
    const c = new MemcachedCache({
      keyPrefix: uniqueKey('p'),
      ...overrides,
      // Generous: the machine running the tests may be loaded; rule 15 has its own tests.
      options: { timeoutMs: 5000, ...overrides.options },
      location: server.location,
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
