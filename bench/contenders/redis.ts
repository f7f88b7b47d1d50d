/**
 * The redis suite's contenders, each built in its own process by bench/support/worker.ts.
 * Factories take `{ url, n, op, conc, prefix }`: `n` keys with ~100-byte string values stored
 * under the contender's own `prefix` on the suite's redis-server with a 300 s TTL, then read,
 * overwritten or multi-read (100 keys per call) in a fixed pseudo-random order; `conc`
 * operations in flight per call. Every client runs with its default settings, except the
 * node-redis ceiling (see `nodeRedis`).
 */
import { createCaches } from '@cachework/core'
import '@cachework/node'
import KeyvRedis, { Keyv } from '@keyv/redis'
import { createCache } from 'cache-manager'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import type { Contender } from '../support/worker.ts'
import { type KeyOp, keyFixture, keyOps } from '../support/key-ops.ts'

interface Params {
  url: string
  n: number
  op: Exclude<KeyOp, 'getAll'>
  conc: number
  prefix: string
  /** nodeRedis only: keep node-redis 6's default 5 s per-command timer (see `nodeRedis`). */
  defaults?: boolean
}

const TTL_MS = 300_000

async function contender(
  p: Params,
  get: (k: string) => Promise<unknown>,
  set: (k: string, v: string) => Promise<unknown>,
  many: (ks: string[]) => Promise<unknown>,
  close: () => unknown,
): Promise<Contender> {
  const f = keyFixture(p.n, p.prefix)
  const { op, batch, fill } = keyOps(p, f, { get, set, many })
  await fill()
  const probe = await get(f.keyAt(0))
  if (typeof probe !== 'string') throw new Error(`fill failed: read back ${String(probe)}`)
  return { op, batch, opsPerCall: p.conc, close }
}

/**
 * cachework's `redis` backend (node-redis underneath), through a caches registry as an app would.
 * `timeoutMs` is 5000 (default 1000): it is only the deadline, and on a loaded machine the first
 * call (which loads node-redis and connects) can take longer than a second.
 */
export async function cachework(p: Params): Promise<Contender> {
  const caches = createCaches({
    default: { backend: 'redis', location: p.url, keyPrefix: p.prefix, options: { timeoutMs: 5000 } },
  })
  const c = caches.get('default')
  for (let i = 0; i < 100 && !(await c.set('warm', 1).catch(() => false)); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
  return contender(
    p,
    (k) => c.get(k),
    (k, v) => c.set(k, v),
    (ks) => c.getMany(ks),
    () => caches.closeAll(),
  )
}

/**
 * node-redis 6 itself: `GET`, `SET … PX`, one `MGET` (the ceiling). Configured as cachework
 * configures it, without node-redis 6's default 5 s per-command timer (`commandOptions.timeout`,
 * an `AbortSignal.timeout` armed per command, about half the client's work per `GET`; cachework
 * keeps its own deadline instead), so the ceiling is the fastest node-redis. `defaults: true`
 * keeps that timer: the row a caller gets from `createClient({ url })` alone.
 */
export async function nodeRedis(p: Params): Promise<Contender> {
  const client = createClient({ url: p.url, ...(p.defaults ? {} : { commandOptions: { timeout: 0 } }) })
  client.on('error', () => {})
  await client.connect()
  return contender(
    p,
    (k) => client.get(k),
    (k, v) => client.set(k, v, { expiration: { type: 'PX', value: TTL_MS } }),
    (ks) => client.mGet(ks),
    () => client.destroy(),
  )
}

/** ioredis 5 with its defaults (no auto-pipelining): `GET`, `SET … PX`, `MGET`. */
export async function ioredis(p: Params): Promise<Contender> {
  const client = new Redis(p.url, { lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  return contender(
    p,
    (k) => client.get(k),
    (k, v) => client.set(k, v, 'PX', TTL_MS),
    (ks) => client.mget(ks),
    () => client.disconnect(),
  )
}

/** Keyv 5 over @keyv/redis (its `getMany` for many keys). */
export async function keyv(p: Params): Promise<Contender> {
  const store = new KeyvRedis(p.url)
  const kv = new Keyv({ store, namespace: p.prefix })
  kv.on('error', () => {})
  return contender(
    p,
    (k) => kv.get(k),
    (k, v) => kv.set(k, v, TTL_MS),
    (ks) => kv.getMany(ks),
    () => kv.disconnect(),
  )
}

/** cache-manager 7 over a Keyv on @keyv/redis (its `mget` for many keys). */
export async function cacheManager(p: Params): Promise<Contender> {
  const store = new KeyvRedis(p.url)
  const kv = new Keyv({ store, namespace: p.prefix })
  kv.on('error', () => {})
  const cm = createCache({ stores: [kv], ttl: TTL_MS })
  return contender(
    p,
    (k) => cm.get(k),
    (k, v) => cm.set(k, v),
    (ks) => cm.mget(ks),
    () => cm.disconnect(),
  )
}
