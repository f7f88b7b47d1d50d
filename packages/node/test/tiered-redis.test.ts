/**
 * tiered(locmem, redis) with the Redis bus across two Node processes (docs/contract.md rule 18):
 * A's set and delete become visible in B (whose L1 holds the old value for its whole cap
 * otherwise); with the Redis server killed, B's L1 copy is still bounded by its cap; after the
 * server is back, B's bus reconnects and B's L1 is emptied. Deadlines only bound the polling.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { TieredCache } from '@cachework/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../src/index.ts'
import { supportFile, TS_NODE_ARGS } from './support/db-child.ts'
import { RedisProcess } from './support/redis-server.ts'

let redis: RedisProcess
let child: ChildProcess | undefined
const L1_CAP_S = 4

beforeAll(async () => {
  redis = await RedisProcess.start()
})
afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
  await redis.stop()
})

/** Process B: send a command, get its answer (one JSON line each, in order). */
function startB(url: string): Promise<(cmd: unknown[]) => Promise<unknown>> {
  const c = spawn(
    process.execPath,
    [...TS_NODE_ARGS, supportFile('tiered-child.ts'), url, String(L1_CAP_S)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  child = c
  const waiting: Array<(v: unknown) => void> = []
  let onReady: (() => void) | undefined
  const ready = new Promise<void>((r) => {
    onReady = r
  })
  createInterface({ input: c.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const v = JSON.parse(line)
    if (v === 'ready') onReady?.()
    else waiting.shift()?.(v)
  })
  const send = (cmd: unknown[]) =>
    new Promise<unknown>((resolve) => {
      waiting.push(resolve)
      c.stdin?.write(`${JSON.stringify(cmd)}\n`)
    })
  return ready.then(() => send)
}

async function poll(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('tiered(locmem, redis) + Redis bus, two processes', () => {
  it('A’s writes reach B’s L1; a dead bus leaves B bounded by its L1 cap; a reconnect empties it', async () => {
    const b = await startB(redis.url)
    const a = new TieredCache({
      keyPrefix: 'tiered-test',
      options: {
        tiers: [
          { backend: 'locmem', location: 'tiered-parent-l1', timeout: 60 },
          { backend: 'redis', location: redis.url },
        ],
        bus: { type: 'redis', url: redis.url },
      },
    })
    await a.get('warm-up')
    const received = async () => ((await b(['stats'])) as { bus: { received: number } }).bus.received
    // A write, then its bus message delivered to B (so it cannot drop a copy B makes after).
    const settled = async (write: () => Promise<unknown>) => {
      const before = await received()
      await write()
      expect(await poll(async () => (await received()) > before, 2000)).toBe(true)
    }
    // B reads k into its L1 (cap 4 s).
    await settled(() => a.set('k', 'v1'))
    expect(await b(['get', 'k'])).toBe('v1')
    expect(await b(['l1has', 'k'])).toBe(true)
    // A overwrites: B sees v2 well before its L1 copy would expire (the bus dropped it).
    await a.set('k', 'v2')
    expect(await poll(async () => (await b(['get', 'k'])) === 'v2', 2000)).toBe(true)
    await a.delete('k')
    expect(await poll(async () => (await b(['get', 'k'])) === '<miss>', 2000)).toBe(true)
    await settled(() => a.set('tagged', 'x', undefined, { tags: ['t'] }))
    expect(await b(['get', 'tagged'])).toBe('x')
    await a.invalidateTags(['t'])
    expect(await poll(async () => (await b(['get', 'tagged'])) === '<miss>', 2000)).toBe(true)

    // The bus server (also L2) dies: B still answers k2 from L1, and no longer than its cap.
    await settled(() => a.set('k2', 'cached'))
    expect(await b(['get', 'k2'])).toBe('cached')
    await redis.kill()
    expect(await b(['get', 'k2'])).toBe('cached')
    let last: unknown
    const gone = await poll(async () => (last = await b(['get', 'k2'])) === '<miss>', (L1_CAP_S + 3) * 1000)
    expect(last).toBe('<miss>')
    expect(gone).toBe(true)

    // A stale copy sits in B's L1 when the server comes back: the reconnect flushes it.
    await b(['l1set', 'stale', 'old'])
    expect(await b(['l1has', 'stale'])).toBe(true)
    await redis.restart()
    expect(await poll(async () => (await b(['l1has', 'stale'])) === false, 3000)).toBe(true)
    const stats = (await b(['stats'])) as { bus: { flushes: number; received: number }; tiers: unknown[] }
    expect(stats.bus.flushes).toBeGreaterThanOrEqual(1)
    expect(stats.bus.received).toBeGreaterThanOrEqual(3)
    expect(await b(['close'])).toBe('closed')
    await a.close()
  }, 60_000)
})
