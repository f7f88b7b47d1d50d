/**
 * `rediss://` against a real redis-server listening with TLS (`--tls-port`, a throwaway CA made
 * with openssl by the helper): a cache given the CA in `options.tls` round-trips over TLS; one
 * given another CA, or none (Node's default CAs do not know it), is refused at the handshake,
 * which is rule 15's unreachable server (docs/contract.md): reads miss, writes reject with
 * `CacheUnavailableError`, `error` events name the certificate problem, nothing hangs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Cache, CacheUnavailableError, createCaches, ImproperlyConfigured } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisCache } from '../src/redis.ts'
import { untilWritable } from './support/redis-conformance.ts'
import { makeTlsMaterial, RedisProcess, type TlsMaterial } from './support/redis-server.ts'

let server: RedisProcess
let otherCa: TlsMaterial
let otherDir: string
const made: Cache[] = []

beforeAll(async () => {
  server = await RedisProcess.start({ tls: true })
  otherDir = mkdtempSync(join(tmpdir(), 'cachework-other-ca-'))
  otherCa = makeTlsMaterial(otherDir)
})
afterAll(async () => {
  await Promise.all(made.map((c) => c.close()))
  await server?.stop()
  if (otherDir) rmSync(otherDir, { recursive: true, force: true })
})

function make(tls: Record<string, unknown> | undefined, timeoutMs = 5000): RedisCache {
  const c = new RedisCache({
    location: server.tlsUrl,
    keyPrefix: uniqueKey('tls'),
    options: { timeoutMs, ...(tls ? { tls } : {}) },
  })
  made.push(c)
  return c
}

/** `p`, or a rejection if it has not settled after `ms` (a hang would otherwise look like a pass). */
function settlesWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)
  })
  return Promise.race([p, hang]).finally(() => clearTimeout(timer))
}

describe('redis over TLS (rediss://)', () => {
  it('with the CA in options.tls: values round-trip over TLS, the same keys the server holds', async () => {
    const c = make({ ca: server.tls?.caPem })
    await untilWritable(c)
    await c.set('obj', { a: [1, 'two'] }, 60)
    await c.set('n', 41)
    expect(await c.get('obj')).toEqual({ a: [1, 'two'] })
    expect(await c.incr('n')).toBe(42)
    expect(await c.getMany(['obj', 'n', 'missing'])).toEqual({ obj: { a: [1, 'two'] }, n: 42 })
    // The server itself (asked on its plain port) holds what went over the TLS one.
    expect(await server.cli('GET', c.makeKey('n'))).toBe('42')
    expect(await c.delete('obj')).toBe(true)
    expect(c.stats().errors).toBe(0)
  })

  it('the TLS port speaks only TLS: a plain redis:// client gets nothing from it', async () => {
    const c = new RedisCache({
      location: `redis://127.0.0.1:${server.tlsPort}`,
      keyPrefix: uniqueKey('plain'),
      options: { timeoutMs: 500 },
    })
    made.push(c)
    expect(await settlesWithin(c.get('k', 'miss'), 5000)).toBe('miss')
    await expect(settlesWithin(c.set('k', 1), 5000)).rejects.toBeInstanceOf(CacheUnavailableError)
  })

  it.each([
    ['another CA', () => ({ ca: otherCa.caPem })],
    ["no CA (Node's defaults)", () => undefined],
  ])('with %s the handshake is refused: a miss and a clean write failure, not a hang', async (_, tls) => {
    const c = make(tls(), 500)
    const errors: string[] = []
    c.on('error', (e) => {
      const err = e.error as Error | undefined
      errors.push(
        `${e.message ?? ''} ${err?.message ?? ''} ${(err?.cause as Error | undefined)?.message ?? ''}`,
      )
    })
    const [got, many, set, add] = await Promise.all([
      settlesWithin(c.get('k', 'miss'), 5000),
      settlesWithin(c.getMany(['k']), 5000),
      settlesWithin(c.set('k', 1), 5000).catch((e) => e),
      settlesWithin(c.add('k', 1), 5000).catch((e) => e),
    ])
    expect(got).toBe('miss')
    expect(many).toEqual({})
    expect(set).toBeInstanceOf(CacheUnavailableError)
    expect(add).toBeInstanceOf(CacheUnavailableError)
    expect(errors.length).toBeGreaterThan(0)
    // node-redis reports the failed handshake: the certificate did not verify.
    const text = errors.join('\n')
    expect(text).toMatch(/certificate/i)
    // Nothing was written through the refused connection.
    expect(await server.cli('EXISTS', c.makeKey('k'))).toBe('0')
  })

  it('options.tls with a plain redis:// location is refused at configuration, never sent in clear', () => {
    expect(
      () => new RedisCache({ location: server.url, options: { tls: { ca: server.tls?.caPem } } }),
    ).toThrow(/options\.tls is given, so every location must be a rediss:\/\/ URL/)
    expect(() =>
      // @ts-expect-error an unknown tls option is a type error too
      createCaches({ a: { backend: 'redis', location: server.tlsUrl, options: { tls: { cafile: 'x' } } } }),
    ).toThrow(ImproperlyConfigured)
    expect(() =>
      // @ts-expect-error tls is an object in the types too
      createCaches({ a: { backend: 'redis', location: server.tlsUrl, options: { tls: 'yes' } } }),
    ).toThrow(/tls must be an object/)
  })
})
