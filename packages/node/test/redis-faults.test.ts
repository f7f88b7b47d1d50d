/**
 * Failures (docs/contract.md rule 15) with a real redis-server killed, restarted and paused by
 * pid: no read throws, every call settles within `timeoutMs` (+ 100 ms, + however long this
 * process itself was not scheduled), writes fail cleanly while the server is gone and succeed
 * once it is back, and node-redis `error` events become cachework `error` events, never
 * unhandled ones. All loops are bounded.
 */
import { CacheUnavailableError, KeyNotFoundError } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisCache } from '../src/redis.ts'
import { freePort } from './support/free-port.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { RedisProcess, waitFor } from './support/redis-server.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The longest time this process's event loop ran late while `run` ran (a loaded machine's stalls). */
async function withLag<T>(run: () => Promise<T>): Promise<{ result: T; lagMs: number }> {
  let lagMs = 0
  let last = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    lagMs = Math.max(lagMs, now - last - 10)
    last = now
  }, 10)
  try {
    return { result: await run(), lagMs }
  } finally {
    clearInterval(timer)
  }
}

interface Call {
  op: 'get' | 'set' | 'incr'
  start: number
  ms: number
  error?: unknown
}

describe('redis: the server killed, paused and restarted', () => {
  let server: RedisProcess
  beforeAll(async () => {
    server = await RedisProcess.start()
  })
  afterAll(async () => {
    await server.stop()
  })

  it('64 concurrent callers of get/set/incr while the primary is killed and restarted', async () => {
    const timeoutMs = 1000
    const c = new RedisCache({ location: server.url, keyPrefix: uniqueKey('f'), options: { timeoutMs } })
    const quiet = new RedisCache({
      location: server.url,
      keyPrefix: uniqueKey('q'),
      options: { timeoutMs, ignoreErrors: true },
    })
    let errorEvents = 0
    c.on('error', () => errorEvents++)
    await untilWritable(c)
    await untilWritable(quiet)
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`)
    const calls: Call[] = []
    let stop = false
    let killedAt = Number.POSITIVE_INFINITY
    let restartedAt = Number.POSITIVE_INFINITY
    const quietDuring: boolean[] = []
    const caller = async (id: number) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const k = keys[(id * 31 + i) % keys.length] as string
        const r = (id + i) % 10
        const op: Call['op'] = r < 5 ? 'get' : r < 8 ? 'set' : 'incr'
        const start = performance.now()
        const call: Call = { op, start, ms: 0 }
        try {
          if (op === 'get') await c.get(k)
          else if (op === 'set') await c.set(`n${k}`, i)
          else {
            try {
              await c.incr(`n${k}`)
            } catch (e) {
              // A restarted server is empty: its counters start again.
              if (!(e instanceof KeyNotFoundError)) throw e
            }
          }
        } catch (e) {
          call.error = e
        }
        call.ms = performance.now() - start
        calls.push(call)
        // Each caller yields a little so 64 of them do not starve the watchdog on 2 cores.
        await sleep(5)
      }
    }
    const { result: recoveredAt, lagMs } = await withLag(async () => {
      const load = Promise.all(Array.from({ length: 64 }, (_, id) => caller(id)))
      // Up until every caller has made a few calls, then down for a second, then back.
      await waitFor(async () => calls.length >= 64 * 5, 'the callers to get going', 10_000)
      killedAt = performance.now()
      await server.kill()
      await sleep(300)
      quietDuring.push(await quiet.set('x', 1))
      expect(await quiet.setMany({ a: 1, b: 2 })).toEqual(['a', 'b'])
      await sleep(700)
      await server.restart()
      restartedAt = performance.now()
      await waitFor(() => c.set('back', 1).catch(() => false), 'the cache to reconnect', 5000)
      const recovered = performance.now()
      // Run on until every caller has made a few calls on the recovered server.
      await waitFor(
        async () => calls.filter((x) => x.start > recovered).length >= 64 * 3,
        'calls after the recovery',
        10_000,
      )
      stop = true
      await load
      return recovered
    })
    const bound = timeoutMs + 100 + lagMs
    expect(calls.length).toBeGreaterThan(64 * 10)
    // No read throws, ever.
    expect(calls.filter((x) => x.op === 'get' && x.error !== undefined)).toEqual([])
    // Every call settles within timeoutMs (+100 ms, + the loop's own stalls).
    expect(calls.filter((x) => x.ms > bound).map((x) => x.ms)).toEqual([])
    // Writes fail cleanly (CacheUnavailableError, nothing else) ...
    const failed = calls.filter((x) => x.error !== undefined)
    expect(failed.every((x) => x.error instanceof CacheUnavailableError)).toBe(true)
    // ... all of them while the server is gone ...
    const down = calls.filter(
      (x) => x.op !== 'get' && x.start > killedAt + 200 && x.start + x.ms < restartedAt,
    )
    expect(down.length).toBeGreaterThan(0)
    expect(down.filter((x) => x.error === undefined)).toEqual([])
    expect(quietDuring).toEqual([false])
    // ... and none once it is back and reconnected.
    const after = calls.filter((x) => x.op !== 'get' && x.start > recoveredAt)
    expect(after.length).toBeGreaterThan(0)
    expect(after.filter((x) => x.error !== undefined)).toEqual([])
    expect(errorEvents).toBeGreaterThan(0)
    // Nothing lost after recovery: what is written reads back.
    await c.set('final', { ok: true })
    expect(await c.get('final')).toEqual({ ok: true })
    expect(await quiet.set('x', 2)).toBe(true)
    await c.close()
    await quiet.close()
  }, 30_000)

  it('a paused server (SIGSTOP): reads miss within timeoutMs, writes reject; it answers again after SIGCONT', async () => {
    const timeoutMs = 500
    const c = new RedisCache({ location: server.url, keyPrefix: uniqueKey('s'), options: { timeoutMs } })
    await untilWritable(c)
    await c.set('k', 'v')
    await server.pause()
    try {
      const { result, lagMs } = await withLag(async () => {
        const t0 = performance.now()
        const timed = <T>(p: Promise<T>) => p.then((v) => ({ v, ms: performance.now() - t0 }))
        const [got, many, has, set] = await Promise.all([
          timed(c.get('k', 'miss')),
          timed(c.getMany(['k'])),
          timed(c.has('k')),
          timed(c.set('k', 'w').catch((e: unknown) => e)),
        ])
        return { got, many, has, set }
      })
      expect(result.got.v).toBe('miss')
      expect(result.many.v).toEqual({})
      expect(result.has.v).toBe(false)
      expect(result.set.v).toBeInstanceOf(CacheUnavailableError)
      // Four calls at once, each settled by the deadline.
      for (const r of Object.values(result)) expect(r.ms).toBeLessThanOrEqual(timeoutMs + 100 + lagMs)
    } finally {
      await server.resume()
    }
    await waitFor(async () => (await c.get('k')) !== undefined, 'the server to answer again')
    expect(['v', 'w']).toContain(await c.get('k'))
    await c.close()
  })

  it('a refused first connection fails calls at once, not after timeoutMs (a minute here)', async () => {
    // With timeoutMs at 60 s, a call waiting for its deadline would outlive this test's own
    // 10 s limit: settling at all shows the calls did not wait for it.
    const c = new RedisCache({
      location: `redis://127.0.0.1:${await freePort()}`,
      options: { timeoutMs: 60_000 },
    })
    let errors = 0
    c.on('error', () => errors++)
    const [got, many, set, incr] = await Promise.all([
      c.get('k', 'miss'),
      c.getMany(['k']),
      c.set('k', 1).catch((e: unknown) => e),
      c.incr('n').catch((e: unknown) => e),
    ])
    expect(got).toBe('miss')
    expect(many).toEqual({})
    expect(set).toBeInstanceOf(CacheUnavailableError)
    expect(incr).toBeInstanceOf(CacheUnavailableError)
    // Later calls too, while node-redis goes on reconnecting in the background.
    expect(await c.get('k', 'miss')).toBe('miss')
    await expect(c.add('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
    expect(errors).toBeGreaterThan(0)
    await c.close()
  }, 10_000)

  it('a server that is not there yet: misses, then the cache connects by itself when it starts', async () => {
    const port = await freePort()
    const c = new RedisCache({ location: `redis://127.0.0.1:${port}`, options: { timeoutMs: 300 } })
    const errors: unknown[] = []
    c.on('error', (e) => errors.push(e))
    expect(await c.get('k', 'miss')).toBe('miss')
    await expect(c.set('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
    expect(errors.length).toBeGreaterThan(0)
    const late = await RedisProcess.start({ port })
    try {
      await waitFor(() => c.set('k', 1).catch(() => false), 'the cache to connect', 10_000)
      expect(await c.get('k')).toBe(1)
    } finally {
      await c.close()
      await late.stop()
    }
  })
})
