/**
 * Failures (docs/contract.md rule 15) with real processes: a server killed by pid and restarted under
 * load, and fake servers that never answer, close mid-request or speak garbage. No call may
 * hang or throw from a read; writes reject `CacheUnavailableError` (or resolve false).
 */
import { createServer, type Server, type Socket } from 'node:net'
import { CacheUnavailableError, type CacheEvent } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { MemcachedProcess } from './support/memcached-server.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A TCP server on 127.0.0.1 that misbehaves in one way per connection. */
async function fakeServer(behaviour: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const srv: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    behaviour(s)
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const addr = srv.address()
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((r) => srv.close(() => r()))
    },
  }
}

function errorsOf(c: MemcachedCache): CacheEvent[] {
  const seen: CacheEvent[] = []
  c.on('error', (e) => seen.push(e))
  return seen
}

describe('fake servers: never hang', () => {
  const cases: Array<[string, (s: Socket) => void]> = [
    ['accepts and never answers', () => {}],
    ['closes the connection mid-request', (s) => s.once('data', () => s.end())],
    [
      'answers with bytes that are not memcached',
      (s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')),
    ],
    [
      'answers half a response and stalls',
      (s) => s.once('data', () => s.write(Buffer.from([0x81, 0, 0, 0]))),
    ],
  ]
  for (const [label, behaviour] of cases) {
    it(`a server that ${label}: reads miss with an error event, writes reject`, async () => {
      const fake = await fakeServer(behaviour)
      const c = new MemcachedCache({
        location: `127.0.0.1:${fake.port}`,
        options: { timeoutMs: 300, retryMs: 0 },
      })
      const errors = errorsOf(c)
      try {
        expect(await c.get('k', 'dflt')).toBe('dflt')
        expect(await c.has('k')).toBe(false)
        expect(await c.getMany(['a', 'b'])).toEqual({})
        await expect(c.set('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
        await expect(c.incr('k')).rejects.toBeInstanceOf(CacheUnavailableError)
        expect(errors.length).toBeGreaterThanOrEqual(3)
        expect(errors[0]).toMatchObject({ type: 'error', backend: 'memcached' })
        const ignoring = new MemcachedCache({
          location: `127.0.0.1:${fake.port}`,
          options: { timeoutMs: 300, ignoreErrors: true },
        })
        expect(await ignoring.set('k', 1)).toBe(false)
        expect(await ignoring.setMany({ a: 1 })).toEqual(['a'])
        await ignoring.close()
      } finally {
        await c.close()
        await fake.close()
      }
    })
  }
  it('a port where nothing listens: a miss and an error event, quickly', async () => {
    const fake = await fakeServer(() => {})
    const port = fake.port
    await fake.close()
    const c = new MemcachedCache({ location: `127.0.0.1:${port}` })
    const errors = errorsOf(c)
    expect(await c.get('k')).toBeUndefined()
    expect(errors).toHaveLength(1)
    await expect(c.delete('k')).rejects.toBeInstanceOf(CacheUnavailableError)
    await c.close()
  })
})

describe('one of three servers killed and restarted', () => {
  let servers: MemcachedProcess[] = []
  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => MemcachedProcess.start()))
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
  })

  it('keeps serving the other servers, never throws from reads, and uses the server again', async () => {
    const c = new MemcachedCache({
      location: servers.map((s) => s.location),
      keyPrefix: uniqueKey('f'),
      timeout: null,
      // Generous per-call timeout for a loaded machine; the dead server fails fast (refused).
      options: { timeoutMs: 3000, retryMs: 200 },
    })
    const errors = errorsOf(c)
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`)
    await c.setMany(Object.fromEntries(keys.map((k) => [k, k])))
    const victim = servers[1] as MemcachedProcess
    const onVictim = keys.filter((k) => c.serverFor(k) === victim.location)
    const onOthers = keys.filter((k) => c.serverFor(k) !== victim.location)
    expect(onVictim.length).toBeGreaterThan(30)

    // Load: readers that must never see an exception while the server dies and comes back.
    let stop = false
    const readerErrors: unknown[] = []
    let reads = 0
    const reader = async () => {
      while (!stop) {
        try {
          const k = keys[reads % keys.length] as string
          await c.get(k)
          await c.getMany(keys.slice(0, 50))
          reads++
        } catch (e) {
          readerErrors.push(e)
        }
        await sleep(2)
      }
    }
    const load = Promise.all([reader(), reader(), reader()])

    await victim.kill('SIGKILL')
    await sleep(300)
    const during = await c.getMany(keys)
    // A dead server's keys miss; they are not rehashed to the others (Django/pymemcache).
    expect(Object.keys(during).sort()).toEqual([...onOthers].sort())
    expect(await c.get(onVictim[0] as string, 'dflt')).toBe('dflt')
    await expect(c.set(onVictim[0] as string, 'x')).rejects.toBeInstanceOf(CacheUnavailableError)
    expect(await c.set(onOthers[0] as string, 'still')).toBe(true)
    expect(errors.length).toBeGreaterThan(0)
    // entries() lists the live servers' keys and skips the dead one (an error event, no throw).
    // The LRU crawler is not a snapshot: with readers bumping items between LRU segments it
    // may skip a few, so this checks membership and most of the keys rather than equality.
    const listed: string[] = []
    for await (const e of c.entries()) listed.push(e.key as string)
    const live = new Set(onOthers)
    expect(listed.filter((k) => !live.has(k))).toEqual([])
    expect(listed.length).toBeGreaterThan(onOthers.length * 0.8)

    await victim.restart()
    // The restarted (empty) server is used again by itself within a few seconds.
    let back = false
    for (let i = 0; i < 100 && !back; i++) {
      back = await c.set(onVictim[0] as string, 'again').catch(() => false)
      if (!back) await sleep(100)
    }
    expect(back).toBe(true)
    expect(await c.get(onVictim[0] as string)).toBe('again')
    stop = true
    await load
    expect(readerErrors).toEqual([])
    expect(reads).toBeGreaterThan(0)
    await c.close()
  })
})
