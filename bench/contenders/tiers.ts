/**
 * The tiers suite's contenders (bench/suites/tiers.ts), each built in its own process.
 * Factories take `{ url?, memcached?, n, prefix, mode? }`: `n` keys with ~100-byte strings, then
 * read in a fixed pseudo-random order, one get in flight.
 */
import { createCaches, LocMemCache, TieredCache } from '@cachework/core'
import '@cachework/node'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import type { Contender } from '../support/worker.ts'

interface Params {
  url?: string
  memcached?: string
  n: number
  prefix: string
  mode?: 'untagged' | 'tagged' | 'tagged-hint'
}

function order(n: number): Int32Array {
  const o = new Int32Array(n)
  let x = 2463534242
  for (let i = 0; i < n; i++) o[i] = i
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    const t = o[i] as number
    o[i] = o[j] as number
    o[j] = t
  }
  return o
}

async function filled(
  p: Params,
  set: (k: string, v: string) => Promise<unknown>,
  get: (k: string) => Promise<unknown>,
  close: () => unknown,
  batch = 100,
): Promise<Contender> {
  const keys = Array.from({ length: p.n }, (_, i) => `${p.prefix}-${i}`)
  const value = (i: number) => `value-${String(i).padStart(8, '0')}-${'x'.repeat(84)}`
  for (let i = 0; i < p.n; i += 100)
    await Promise.all(keys.slice(i, i + 100).map((k, j) => set(k, value(i + j))))
  const o = order(p.n)
  const keyAt = (i: number) => keys[o[i % p.n] as number] as string
  // Warm: every key read once, so the tiered L1 holds them all.
  for (let i = 0; i < p.n; i++) await get(keyAt(i))
  const probe = await get(keyAt(0))
  if (typeof probe !== 'string') throw new Error(`fill failed: read back ${String(probe)}`)
  return { op: (i) => get(keyAt(i)), batch, close }
}

/** locmem alone: the baseline for an L1 hit. */
export async function locmem(p: Params): Promise<Contender> {
  const c = new LocMemCache({ location: p.prefix, options: { maxEntries: p.n * 2 } })
  return filled(
    p,
    (k, v) => c.set(k, v),
    (k) => c.get(k),
    () => undefined,
    1000,
  )
}

/**
 * tiered(locmem, redis) with the Redis bus: every timed get is an L1 hit. The store is filled
 * through the L2 cache (same keys: both use the default key function and no prefix) and copied
 * into L1 by the warm-up reads, which is the read path under test.
 */
export async function tiered(p: Params): Promise<Contender> {
  const reg = createCaches({
    l2: { backend: 'redis', location: p.url, options: { timeoutMs: 5000 } },
  })
  const l2 = reg.get('l2')
  const t = new TieredCache({
    options: {
      timeoutMs: 5000,
      tiers: [new LocMemCache({ location: p.prefix, timeout: 600, options: { maxEntries: p.n * 2 } }), l2],
      bus: { type: 'redis', url: p.url },
    },
  })
  return filled(
    p,
    (k, v) => l2.set(k, v),
    (k) => t.get(k),
    () => t.close(),
    1000,
  )
}

/** bentocache's two-tier store: memory L1 + redis L2 on the same server (its bus needs ioredis too; off here, as ours is not on the read path). */
export async function bento(p: Params): Promise<Contender> {
  const u = new URL(p.url as string)
  const bc = new BentoCache({
    default: 'tiered',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: p.n * 2 }))
        .useL2Layer(redisDriver({ connection: { host: u.hostname, port: Number(u.port) } })),
    },
  })
  return filled(
    p,
    (k, v) => bc.set({ key: k, value: v, ttl: '10m' }),
    (k) => bc.get({ key: k }),
    () => bc.disconnectAll(),
    1000,
  )
}

/**
 * bentocache on the same redis-server, L2 only (no memory layer, so every get goes to Redis as
 * ours do), untagged or tagged with the same two tags: its tag check reads each tag's
 * timestamp (bentocache `cache/tag_system.ts`).
 */
export async function bentoTags(p: Params): Promise<Contender> {
  const u = new URL(p.url as string)
  const bc = new BentoCache({
    default: 'redis',
    stores: {
      redis: bentostore().useL2Layer(
        redisDriver({ connection: { host: u.hostname, port: Number(u.port), keyPrefix: `${p.prefix}:` } }),
      ),
    },
  })
  const tags = ['article', 'list']
  return filled(
    p,
    p.mode === 'untagged'
      ? (k, v) => bc.set({ key: k, value: v, ttl: '10m' })
      : (k, v) => bc.set({ key: k, value: v, ttl: '10m', tags }),
    (k) => bc.get({ key: k }),
    () => bc.disconnectAll(),
  )
}

/** A plain backend (redis or memcached), untagged, tagged, or tagged with the get hint. */
export async function backend(p: Params): Promise<Contender> {
  const caches = createCaches({
    default: p.url
      ? { backend: 'redis', location: p.url, keyPrefix: p.prefix, options: { timeoutMs: 5000 } }
      : { backend: 'memcached', location: p.memcached, keyPrefix: p.prefix, options: { timeoutMs: 5000 } },
  })
  const c = caches.get('default')
  const tags = ['article', 'list']
  const set =
    p.mode === 'untagged'
      ? (k: string, v: string) => c.set(k, v)
      : (k: string, v: string) => c.set(k, v, undefined, { tags })
  const get =
    p.mode === 'tagged-hint' ? (k: string) => c.get(k, undefined, { tags }) : (k: string) => c.get(k)
  return filled(p, set, get, () => caches.closeAll())
}
