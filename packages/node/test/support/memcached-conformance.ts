/**
 * The shared conformance suite (docs/contract.md §2) against memcached processes of the test file's own,
 * so the suite's `clear()` (flush_all) cannot wipe other test files' keys.
 */
import type { Cache, CacheInit } from '@cachework/core'
import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll } from 'vitest'
import { MemcachedCache } from '../../src/memcached.ts'
import { freePort } from './free-port.ts'
import { MemcachedProcess } from './memcached-server.ts'

/**
 * Run the conformance suite as `name` against `servers` memcached processes started before and
 * stopped after the file's tests: one is given as a single location, more as a ketama ring.
 */
export function memcachedConformanceSuite(name: string, servers: number): void {
  let started: MemcachedProcess[] = []
  const made: Cache[] = []

  beforeAll(async () => {
    started = await Promise.all(Array.from({ length: servers }, () => MemcachedProcess.start()))
  })

  afterAll(async () => {
    await Promise.all(made.map((c) => c.close()))
    await Promise.all(started.map((s) => s.stop()))
  })

  cacheConformanceSuite(name, {
    create(overrides: CacheInit = {}) {
      // A unique prefix per cache isolates tests on the shared server (the suite's prefix test sets its own).
      const c = new MemcachedCache({
        keyPrefix: uniqueKey('p'),
        ...overrides,
        // Generous: the machine running the tests may be loaded; rule 15 has its own tests.
        options: { timeoutMs: 5000, ...overrides.options },
        location: servers === 1 ? (started[0] as MemcachedProcess).location : started.map((s) => s.location),
      })
      made.push(c)
      return c
    },
    shortTimeout: 1,
    expiryWaitMs: 2600,
    culls: false,
    decrFloorsAtZero: true,
    rejectsBadKeys: true,
    // A loopback port nobody listens on: every connection is refused.
    async unreachable(overrides: CacheInit = {}) {
      const c = new MemcachedCache({
        ...overrides,
        options: { timeoutMs: 500, ...overrides.options },
        location: `127.0.0.1:${await freePort()}`,
      })
      made.push(c)
      return c
    },
  })
}
