/**
 * What the memcached backend reads from a server is untrusted (docs/security.md): every length
 * and number in a reply is checked. A fake server on 127.0.0.1 feeds crafted, random and
 * mutated text and binary replies; every call settles within `timeoutMs` (well within the
 * guard below), nothing throws from a read, and memory stays bounded. Then timeouts that used
 * to store and miss at once (fractions, huge values, 2³² wrap) against a real memcached.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { uniqueKey } from '@cachework/core/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { MemcachedProcess } from './support/memcached-server.ts'

type Reply = (request: Buffer) => Buffer

/** A fake memcached whose reply to each request is `current(request)`. */
async function fakeServer(): Promise<{ port: number; reply: { current: Reply }; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const reply = { current: ((_r: Buffer) => Buffer.alloc(0)) as Reply }
  const srv: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('data', (d) => {
      const out = reply.current(d)
      if (out.length > 0 && !s.destroyed) s.write(out)
    })
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const addr = srv.address()
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    reply,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((r) => srv.close(() => r()))
    },
  }
}

/** A binary GET response echoing the request's opaque (doc/protocol-binary.txt). */
function binaryValue(request: Buffer, value: Buffer): Buffer {
  const b = Buffer.alloc(24 + 4 + value.length)
  b[0] = 0x81
  b[4] = 4
  b.writeUInt32BE(4 + value.length, 8)
  if (request.length >= 16) request.copy(b, 12, 12, 16)
  value.copy(b, 28)
  return b
}

const GUARD_MS = 5000

/** Settle `p` or report 'hung' after the guard (a bounded wait, not a timing assertion). */
function settles<T>(p: Promise<T>): Promise<'settled' | 'hung'> {
  return Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    new Promise<'hung'>((r) => setTimeout(() => r('hung'), GUARD_MS)),
  ])
}

describe('memcached replies are validated', () => {
  let fake: Awaited<ReturnType<typeof fakeServer>>
  let cache: MemcachedCache
  beforeAll(async () => {
    fake = await fakeServer()
    cache = new MemcachedCache({
      location: `127.0.0.1:${fake.port}`,
      options: { timeoutMs: 100, retryMs: 0 },
    })
  })
  afterAll(async () => {
    await cache.close()
    await fake.close()
  })

  it('H1: a VALUE line with a negative or malformed size is a miss, not an endless loop', async () => {
    for (const line of [
      'VALUE k 0 /*',
      'VALUE k 0 -16',
      'VALUE k x 5',
      'VALUE k 0 99999999999',
      'VALUE  0',
      'VALUE k 0 5',
    ]) {
      fake.reply.current = (r) =>
        r.toString('latin1').startsWith('get ') ? Buffer.from(`${line}\r\nhelloXXEND\r\n`) : Buffer.alloc(0)
      expect(await settles(cache.getMany(['a', 'b'])), line).toBe('settled')
      expect(await cache.getMany(['a', 'b']), line).toEqual({})
    }
  })

  it('H1: a binary frame with impossible lengths is a miss', async () => {
    fake.reply.current = (r) => {
      const b = binaryValue(r, Buffer.from('x'))
      b[4] = 200 // extras longer than the body
      return b
    }
    expect(await cache.get('k', 'dflt')).toBe('dflt')
    fake.reply.current = (r) => {
      const b = binaryValue(r, Buffer.from('x'))
      b.writeUInt32BE(0xffffffff, 8) // a 4 GiB body
      return b
    }
    expect(await cache.get('k', 'dflt')).toBe('dflt')
  })

  it('fuzz: random and mutated text and binary replies settle, never throw from reads, memory bounded', async () => {
    const before = process.memoryUsage().rss
    const validText = Buffer.from('VALUE k 16 5\r\nhello\r\nEND\r\n')
    const mutation = fc.record({
      kind: fc.constantFrom('mutate', 'random', 'truncate'),
      edits: fc.array(fc.tuple(fc.nat(40), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      random: fc.uint8Array({ maxLength: 64 }),
      cut: fc.nat(40),
    })
    type Mutation = { kind: string; edits: [number, number][]; random: Uint8Array; cut: number }
    const build = (base: Buffer, m: Mutation) => {
      if (m.kind === 'random') return Buffer.from(m.random)
      const b = Buffer.from(base)
      if (m.kind === 'truncate') return b.subarray(0, Math.min(m.cut, b.length))
      for (const [at, v] of m.edits) if (at < b.length) b[at] = v
      return b
    }
    await fc.assert(
      fc.asyncProperty(mutation, mutation, async (textM, binM) => {
        fake.reply.current = (r) =>
          r.toString('latin1').startsWith('get ')
            ? build(validText, textM)
            : build(binaryValue(r, Buffer.from('hello')), binM)
        const calls = [
          cache.get('k'),
          cache.getMany(['k', 'j']),
          cache.has('k'),
          cache.set('k', 'v'),
          cache.incr('n'),
        ]
        expect(await Promise.all(calls.map(settles))).toEqual(calls.map(() => 'settled'))
        // Reads never reject (rule 15): a miss or a value.
        await cache.get('k')
        await cache.getMany(['k'])
      }),
      { numRuns: 25, seed: 12 },
    )
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024)
  })
})

describe('D1: memcached timeouts are converted, never wrapped', () => {
  let server: MemcachedProcess
  beforeAll(async () => {
    server = await MemcachedProcess.start()
  })
  afterAll(async () => {
    await server.stop()
  })

  it('a half second, 1e12 s, 2³², 2⁵³ and 100 years all store a readable value', async () => {
    const c = new MemcachedCache({ location: server.location, keyPrefix: uniqueKey('d1') })
    try {
      for (const t of [0.5, 1.5, 1e12, 2 ** 32, 2 ** 53, 100 * 365 * 86400, 31 * 86400]) {
        expect(await c.set(`k${t}`, 'v', t), String(t)).toBe(true)
        expect(await c.get(`k${t}`), String(t)).toBe('v')
        expect(await c.touch(`k${t}`, t), String(t)).toBe(true)
        expect(await c.get(`k${t}`), String(t)).toBe('v')
      }
      expect(await c.set('zero', 'v', 0)).toBe(true)
      expect(await c.get('zero')).toBeUndefined()
    } finally {
      await c.close()
    }
  })
})
