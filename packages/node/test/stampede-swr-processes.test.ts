/**
 * docs/contract.md rule 16, stale-while-revalidate across real processes (memcached, redis, db,
 * file): with `lock: 'distributed'`, a stale entry is refreshed ONCE for the whole fleet (the
 * refresh takes the backend's lease; a process that does not win it keeps serving the stale
 * value), and every caller in every process gets the stale value without waiting for that refresh. Factory runs are
 * counted from a file every run appends its pid to; no timing is asserted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedProcess } from './support/memcached-server.ts'
import { RedisProcess } from './support/redis-server.ts'
import { StampedeWorker } from './support/stampede-fleet.ts'

let server: MemcachedProcess
let redis: RedisProcess
let dir: string
let fleet: StampedeWorker[] = []

const backends = ['memcached', 'redis', 'db', 'file'] as const

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachework-stampede-swr-'))
  const started = await Promise.all([
    MemcachedProcess.start(),
    RedisProcess.start(),
    ...Array.from({ length: 4 }, () => StampedeWorker.start()),
  ])
  server = started[0] as MemcachedProcess
  redis = started[1] as RedisProcess
  fleet = started.slice(2) as StampedeWorker[]
  // Each process's first redis call loads node-redis and connects (seconds on a loaded machine,
  // past the jobs' timeoutMs): do it once here, as stampede-processes.test.ts does.
  const warmRuns = join(dir, 'warm.runs')
  writeFileSync(warmRuns, '')
  await Promise.all(
    fleet.map(async (w) => {
      for (let attempt = 1; ; attempt++) {
        const job = {
          ...target('redis'),
          key: uniqueKey('warm'),
          callers: 1,
          factoryMs: 0,
          lockTimeoutMs: 5000,
        }
        try {
          return await w.result(w.send({ ...job, countFile: warmRuns }))
        } catch (e) {
          if (attempt >= 5) throw e
        }
      }
    }),
  )
})

afterAll(async () => {
  await Promise.all(fleet.map((w) => w.stop()))
  await server?.stop()
  await redis?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function target(backend: (typeof backends)[number]) {
  if (backend === 'memcached') return { backend, location: server.location }
  if (backend === 'redis') return { backend, location: redis.url }
  if (backend === 'db') return { backend, location: 'stampede_swr', database: join(dir, 'shared.sqlite3') }
  return { backend, location: join(dir, 'files') }
}

function runs(countFile: string): string[] {
  return readFileSync(countFile, 'utf8').split('\n').filter(Boolean)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Wait (bounded) until the count file holds `n` runs. */
async function untilRuns(countFile: string, n: number): Promise<void> {
  for (let i = 0; i < 200 && runs(countFile).length < n; i++) await sleep(50)
}

describe.each(backends)(
  "staleWhileRevalidate with lock: 'distributed' across 4 processes on %s",
  (backend) => {
    it('every caller gets the stale value at once; one refresh runs for the whole fleet; then the new value', async () => {
      const key = uniqueKey('swr')
      const countFile = join(dir, `${key}.runs`)
      writeFileSync(countFile, '')
      const base = { ...target(backend), key, lockTimeoutMs: 5000, countFile, staleWhileRevalidate: 600 }
      // Warm: fresh for 1 s, kept 600 s more as stale.
      const first = fleet[0] as StampedeWorker
      const warm = await first.result(first.send({ ...base, callers: 1, factoryMs: 0, timeout: 1 }))
      const old = `value-of-${first.pid}`
      expect(warm.answers).toEqual([old])
      await sleep(1200) // past the fresh lifetime, well inside the stale window
      // 4 × 25 callers on the stale key; the refresh takes 500 ms, so a caller that waited for it
      // would get the new value.
      const job = { ...base, callers: 25, factoryMs: 500, timeout: 60 }
      const ids = fleet.map((w) => w.send(job))
      const during = await Promise.all(fleet.map((w, i) => w.result(ids[i] as number)))
      expect([...new Set(during.flatMap((r) => r.answers))]).toEqual([old])
      // The refresh: exactly one run beside the warm-up, in one of the four processes.
      await untilRuns(countFile, 2)
      await sleep(800) // room for any second refresh to show up in the count
      const who = runs(countFile)
      expect(who).toHaveLength(2)
      expect(fleet.map((w) => String(w.pid))).toContain(who[1])
      // Afterwards every process reads the refreshed value, and nothing computes again.
      const afterIds = fleet.map((w) => w.send({ ...job, callers: 5 }))
      const after = await Promise.all(fleet.map((w, i) => w.result(afterIds[i] as number)))
      expect([...new Set(after.flatMap((r) => r.answers))]).toEqual([`value-of-${who[1]}`])
      expect(runs(countFile)).toHaveLength(2)
    })
  },
)
