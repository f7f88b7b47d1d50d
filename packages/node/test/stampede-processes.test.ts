/**
 * docs/contract.md rule 16 across real processes: a fleet of Node processes sharing one
 * memcached server, one redis-server, one SQLite file or one directory runs `getOrSet(…, { lock: 'distributed' })`
 * on one cold key. Factory runs are counted from a file every run appends to, never inferred
 * from timings; waits are printed, not asserted. With `staleWhileRevalidate`, a stale entry is
 * refreshed once for the whole fleet while every caller gets the stale value.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { MemcachedProcess } from './support/memcached-server.ts'
import { MetaRefusingProxy } from './support/meta-refusing-proxy.ts'
import { RedisProcess } from './support/redis-server.ts'
import { StampedeWorker } from './support/stampede-fleet.ts'

let server: MemcachedProcess
let redis: RedisProcess
let dir: string
/** Four warm "server processes", reused by every test. */
let fleet: StampedeWorker[] = []
/** One process per backend that takes the lease and is then killed. */
const holders = new Map<string, StampedeWorker>()

const backends = ['memcached', 'redis', 'db', 'file'] as const

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cachework-stampede-'))
  const started = await Promise.all([
    MemcachedProcess.start(),
    RedisProcess.start(),
    ...Array.from({ length: 4 + backends.length }, () => StampedeWorker.start()),
  ])
  server = started[0] as MemcachedProcess
  redis = started[1] as RedisProcess
  const workers = started.slice(2) as StampedeWorker[]
  fleet = workers.slice(0, 4)
  for (const [i, b] of backends.entries()) holders.set(b, workers[4 + i] as StampedeWorker)
  // Each process's first redis call loads node-redis and connects (seconds on a loaded machine,
  // past the jobs' timeoutMs): do that once here, so the tests start from connected caches.
  const warmRuns = join(dir, 'warm.runs')
  writeFileSync(warmRuns, '')
  const warmed = [...fleet, holders.get('redis') as StampedeWorker].map(async (w) => {
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
  })
  await Promise.all(warmed)
})

afterAll(async () => {
  await Promise.all([...fleet, ...holders.values()].map((w) => w.stop()))
  await server?.stop()
  await redis?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function target(backend: (typeof backends)[number]) {
  if (backend === 'memcached') return { backend, location: server.location }
  if (backend === 'redis') return { backend, location: redis.url }
  if (backend === 'db') return { backend, location: 'stampede_cache', database: join(dir, 'shared.sqlite3') }
  return { backend, location: join(dir, 'files') }
}

function runs(countFile: string): string[] {
  return readFileSync(countFile, 'utf8').split('\n').filter(Boolean)
}

describe.each(backends)("lock: 'distributed' across processes on %s", (backend) => {
  it('4 processes × 50 concurrent callers of one cold key: the factory runs once in total', async () => {
    const key = uniqueKey('cold')
    const countFile = join(dir, `${key}.runs`)
    writeFileSync(countFile, '')
    const job = { ...target(backend), key, callers: 50, factoryMs: 200, lockTimeoutMs: 5000, countFile }
    const ids = fleet.map((w) => w.send(job))
    const results = await Promise.all(fleet.map((w, i) => w.result(ids[i] as number)))
    expect(runs(countFile)).toHaveLength(1)
    // Every one of the 200 callers got the one computed value.
    expect([...new Set(results.flatMap((r) => r.answers))]).toEqual([`value-of-${runs(countFile)[0]}`])
    console.info(
      `${backend}: 200 callers, 1 run, slowest ${Math.max(...results.map((r) => r.maxWaitMs ?? 0))} ms`,
    )
  })

  it('the lease holder is SIGKILLed mid-compute: one other process computes after the lease runs out', async () => {
    const key = uniqueKey('killed')
    const countFile = join(dir, `${key}.runs`)
    writeFileSync(countFile, '')
    const job = { ...target(backend), key, callers: 10, factoryMs: 50, lockTimeoutMs: 2000, countFile }
    const holder = holders.get(backend) as StampedeWorker
    const hid = holder.send({ ...job, callers: 1, hold: true })
    await holder.next((m) => m.id === hid && m.computing === true)
    const ids = fleet.slice(0, 3).map((w) => w.send(job))
    // The others are now waiting on the held lease; kill its holder by pid.
    await new Promise((r) => setTimeout(r, 100))
    expect(runs(countFile)).toEqual([String(holder.pid)])
    await holder.kill()
    const results = await Promise.all(fleet.slice(0, 3).map((w, i) => w.result(ids[i] as number)))
    const who = runs(countFile)
    expect(who).toHaveLength(2)
    expect(who[0]).toBe(String(holder.pid))
    expect(new Set(results.flatMap((r) => r.answers))).toEqual(new Set([`value-of-${who[1]}`]))
    console.info(
      `${backend}: holder killed; slowest ${Math.max(...results.map((r) => r.maxWaitMs ?? 0))} ms (lease 2000 ms)`,
    )
  })
})

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

describe('memcached without meta commands', () => {
  it('falls back to the add lease, warns once, and still computes once', async () => {
    // memcached before 1.5.19 answers ERROR to `mg`/`md`; the proxy answers them so in front of
    // the real server and passes everything else through (the installed 1.6.18 cannot switch
    // meta commands off).
    const proxy = await MetaRefusingProxy.start(server.port)
    const warnings: string[] = []
    const onWarning = (w: Error) => {
      if (w.name === 'CacheworkWarning') warnings.push(w.message)
    }
    process.on('warning', onWarning)
    try {
      const location = `127.0.0.1:${proxy.port}`
      const a = new MemcachedCache({ location, keyPrefix: 'nometa' })
      const b = new MemcachedCache({ location, keyPrefix: 'nometa' })
      const raw = a.makeKey(uniqueKey('l'))
      const t1 = await a.acquireLease(raw, 5000)
      expect(t1).toBeTypeOf('string')
      expect(t1?.startsWith('mc:')).toBe(false) // an add lease, not a meta one
      expect(await b.acquireLease(raw, 5000)).toBeUndefined()
      await a.releaseLease(raw, t1 as string)
      const key = uniqueKey('fb')
      let runs = 0
      const factory = async () => {
        runs++
        await new Promise((r) => setTimeout(r, 100))
        return 'v'
      }
      const all = await Promise.all(
        [a, b].flatMap((c) =>
          Array.from({ length: 5 }, () => c.getOrSet(key, factory, 60, { lock: 'distributed' })),
        ),
      )
      expect(all).toEqual(Array(10).fill('v'))
      expect(runs).toBe(1)
      await new Promise((r) => setImmediate(r))
      // One warning per cache instance, not one per lease.
      expect(warnings).toHaveLength(2)
      expect(warnings[0]).toMatch(/refused 'mg … N'.*add-based leases/)
      expect(proxy.refused).toBeGreaterThan(0)
      await a.close()
      await b.close()
    } finally {
      process.off('warning', onWarning)
      await proxy.close()
    }
  })

  it('uses meta leases on the real 1.6.18 server (mc: tokens, exclusive until released)', async () => {
    const c = new MemcachedCache({ location: server.location, keyPrefix: uniqueKey('meta') })
    const raw = c.makeKey('k')
    const t1 = await c.acquireLease(raw, 3000)
    expect(t1).toMatch(/^mc:\d+$/)
    expect(await c.acquireLease(raw, 3000)).toBeUndefined()
    await c.releaseLease(raw, `mc:${Number(t1?.slice(3)) + 1_000_000}`) // wrong CAS: not released
    expect(await c.acquireLease(raw, 3000)).toBeUndefined()
    await c.releaseLease(raw, t1 as string)
    expect(await c.acquireLease(raw, 3000)).toMatch(/^mc:\d+$/)
    await c.close()
  })
})

describe("page cache: 4 node:http processes with cacheMiddleware({ lock: 'distributed' }) on one memcached", () => {
  // The servers stand behind one site name, as behind a load balancer: the page key holds the host.
  function get(port: number, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, headers: { host: 'shop.example' }, agent: false },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (c) => {
            body += c
          })
          res.on('end', () => resolve(body))
        },
      )
      req.on('error', reject)
      req.setTimeout(20_000, () => req.destroy(new Error('no answer in 20 s')))
      req.end()
    })
  }

  it('200 concurrent cold requests spread over the 4 servers run the view once', async () => {
    const countFile = join(dir, `${uniqueKey('page')}.runs`)
    writeFileSync(countFile, '')
    const job = { location: server.location, countFile, seconds: 60, staleWhileRevalidate: 0, renderMs: 200 }
    const ports = await Promise.all(fleet.map((w) => w.serve(job)))
    const path = `/cold/${uniqueKey('p')}`
    const bodies = await Promise.all(Array.from({ length: 200 }, (_, i) => get(ports[i % 4] as number, path)))
    expect(runs(countFile)).toHaveLength(1)
    expect(new Set(bodies)).toEqual(new Set(['render 1']))
  })

  it('staleWhileRevalidate: requests during a re-render get the stale page; then the new one', async () => {
    const countFile = join(dir, `${uniqueKey('swr')}.runs`)
    writeFileSync(countFile, '')
    const job = { location: server.location, countFile, seconds: 1, staleWhileRevalidate: 30, renderMs: 300 }
    const ports = await Promise.all(fleet.map((w) => w.serve(job)))
    const path = `/swr/${uniqueKey('p')}`
    expect(await get(ports[0] as number, path)).toBe('render 1')
    // Past the 1 s fresh lifetime (real time: memcached and the servers run on their own clocks).
    await new Promise((r) => setTimeout(r, 1100))
    const bodies = await Promise.all(Array.from({ length: 40 }, (_, i) => get(ports[i % 4] as number, path)))
    // One request re-rendered (and got its own new page); all the others were answered stale.
    expect(runs(countFile)).toHaveLength(2)
    expect(bodies.filter((b) => b === 'render 1')).toHaveLength(39)
    expect(bodies.filter((b) => b === 'render 2')).toHaveLength(1)
    expect(await get(ports[3] as number, path)).toBe('render 2')
  })
})
