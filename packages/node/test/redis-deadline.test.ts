/**
 * The redis backend's deadline (docs/contract.md rule 15) counts server time only:
 * - a reply that reached the socket while this process's event loop was busy for longer than
 *   `timeoutMs` is still the answer (the watchdog lets the loop read sockets before failing);
 * - the first calls of a process, made while node-redis is still being imported, start their
 *   deadline once it is loaded (a module hook makes the import take 3 s; timeoutMs is 2 s, which the connect and
 *   first replies must still meet on a loaded machine).
 * Found by the tiers bench: on a machine at load 20+, the first batch of sets of a fresh
 * process timed out and the contender died. Counts answers and errors; no timing is asserted.
 */
import { fileURLToPath } from 'node:url'
import { spawn } from 'node:child_process'
import { CacheUnavailableError } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisCache } from '../src/redis.ts'
import { supportFile, TS_NODE_ARGS } from './support/db-child.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { RedisProcess } from './support/redis-server.ts'

let server: RedisProcess
beforeAll(async () => {
  server = await RedisProcess.start()
})
afterAll(async () => {
  await server.stop()
})

/** Keep the event loop busy (synchronously) for `ms`. */
function busy(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

describe('redis deadlines count server time', () => {
  it('a reply that arrived while the event loop was blocked past timeoutMs is the answer', async () => {
    const timeoutMs = 200
    const c = new RedisCache({ location: server.url, keyPrefix: uniqueKey('lag'), options: { timeoutMs } })
    await untilWritable(c) // connected (a first connect on a loaded machine can miss 200 ms)
    expect(await c.set('k', 'v')).toBe(true)
    const errorsBefore = c.stats().errors
    let answered = 0
    for (let round = 0; round < 3; round++) {
      const p = c.get('k')
      // node-redis writes commands in a setImmediate; ours runs after it, so the command is sent.
      await new Promise((r) => setImmediate(r))
      busy(1000) // 5 × timeoutMs: time enough for the reply to reach the socket
      if ((await p) === 'v') answered++
    }
    expect(answered).toBe(3)
    expect(c.stats().errors).toBe(errorsBefore)
    // A server that really does not answer still fails the call (paused: SIGSTOP).
    server.pause()
    try {
      expect(await c.get('k', 'fallback')).toBe('fallback')
      expect(c.stats().errors).toBe(errorsBefore + 1)
    } finally {
      server.resume()
    }
    await c.close()
  })

  it('the first calls of a process do not count the time node-redis takes to load', async () => {
    const hook = fileURLToPath(new URL('./support/slow-redis-import.mjs', import.meta.url))
    const child = spawn(
      process.execPath,
      [...TS_NODE_ARGS, '--import', hook, supportFile('redis-first-call-child.ts'), server.url, '2000'],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLOW_REDIS_IMPORT_MS: '3000' } },
    )
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    expect(code).toBe(0)
    const r = JSON.parse(out.trim()) as { setsOk: number; read: number; errors: number; importMs: number }
    // The hook made the import slower than the deadline, so the fix is what is being shown.
    expect(r.importMs).toBeGreaterThan(2000)
    expect(r).toMatchObject({ setsOk: 20, read: 20, errors: 0 })
  })

  it('a synchronous throw from node-redis settles the call and its deadline at once (no later spurious error)', async () => {
    const timeoutMs = 100
    const client = createClient({ url: server.url })
    client.on('error', () => {})
    await client.connect()
    const c = new RedisCache({ keyPrefix: uniqueKey('sync'), options: { client, timeoutMs } })
    expect(await c.set('k', 'v')).toBe(true)
    const errors = c.stats().errors
    const sendCommand = client.sendCommand
    client.sendCommand = () => {
      throw new Error('socket gone')
    }
    try {
      expect(await c.get('k', 'fallback')).toBe('fallback')
      await expect(c.set('k', 'w')).rejects.toBeInstanceOf(CacheUnavailableError)
      expect(await c.getMany(['k', 'j'])).toEqual({})
    } finally {
      client.sendCommand = sendCommand
    }
    expect(c.stats().errors).toBe(errors + 3)
    await new Promise((r) => setTimeout(r, 3 * timeoutMs))
    expect(c.stats().errors).toBe(errors + 3)
    expect(await c.get('k')).toBe('v')
    await c.close()
    client.destroy()
  })
})
