/**
 * The stampede suite's contenders, each run in four processes of its own by
 * bench/support/stampede-child.ts. A factory takes `{ url, memcached?, prefix }` and returns a
 * `Stampeder`: `call(key, factory, mode)` is what an app does on every request for an expensive
 * value — cachework's `getOrSet` with `lock: 'distributed'` (docs/contract.md rule 16),
 * bentocache's `getOrSet`, cache-manager's `wrap`, and the plain `get`, then `set` on a miss.
 * Every peer runs with its default settings on the same redis-server (bentocache with its redis
 * L2 layer only, so, like the others, each process reads the shared store).
 */
import { createCaches } from '@cachework/core'
import '@cachework/node'
import KeyvRedis, { Keyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache } from 'cache-manager'
import { createClient } from 'redis'

/** What the suite passes every factory. */
export interface StampedeParams {
  /** redis://127.0.0.1:N of the suite's redis-server. */
  url: string
  /** 127.0.0.1:N of the suite's memcached (the `cachework memcached` row). */
  memcached?: string
  prefix: string
}

/**
 * `'cold'`: the key is missing. `'hit'`: the key is fresh. `'swr'`: the key is past its fresh
 * lifetime and inside its stale-while-revalidate window (cachework only).
 */
export type StampedeMode = 'cold' | 'hit' | 'swr'

/** One process's view of a contender. */
export interface Stampeder {
  /** Read `key` the contender's way, computing it with `factory` when needed. */
  call(key: string, factory: () => Promise<string>, mode: StampedeMode): Promise<unknown>
  /** Store `key` for a `'hit'` (fresh for 300 s) or `'swr'` (fresh for `freshSeconds`) round. */
  warm?(key: string, factory: () => Promise<string>, mode: StampedeMode, freshSeconds: number): Promise<void>
  close(): unknown
}

const TTL_S = 300
/** The stale window of the `'swr'` rounds (seconds): far longer than a round. */
const SWR_S = 600

async function cacheworkOn(
  backend: 'redis' | 'memcached',
  location: string,
  prefix: string,
): Promise<Stampeder> {
  const caches = createCaches({
    default: { backend, location, keyPrefix: prefix, options: { timeoutMs: 5000 } },
  })
  const c = caches.get('default')
  // The first call loads the client and connects (seconds on a loaded machine).
  for (let i = 0; i < 100 && !(await c.set('warm', 1).catch(() => false)); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
  const opts = (mode: StampedeMode) =>
    mode === 'swr'
      ? { lock: 'distributed' as const, staleWhileRevalidate: SWR_S }
      : { lock: 'distributed' as const }
  return {
    call: (key, factory, mode) => c.getOrSet(key, factory, TTL_S, opts(mode)),
    async warm(key, factory, mode, freshSeconds) {
      await c.getOrSet(key, factory, mode === 'swr' ? freshSeconds : TTL_S, opts(mode))
    },
    close: () => caches.closeAll(),
  }
}

/** cachework's `getOrSet(key, factory, 300, { lock: 'distributed' })` on the `redis` backend. */
export function cachework(p: StampedeParams): Promise<Stampeder> {
  return cacheworkOn('redis', p.url, p.prefix)
}

/** The same on the `memcached` backend, whose lease is the server's own `mg … N` (meta protocol). */
export function cacheworkMemcached(p: StampedeParams): Promise<Stampeder> {
  if (!p.memcached) throw new Error('cacheworkMemcached needs params.memcached')
  return cacheworkOn('memcached', p.memcached, p.prefix)
}

/** bentocache 1.6's `getOrSet({ key, factory, ttl })` on its redis driver (L2 only). */
export async function bentocache(p: StampedeParams): Promise<Stampeder> {
  const u = new URL(p.url)
  const bc = new BentoCache({
    default: 'l2',
    stores: {
      l2: bentostore().useL2Layer(redisDriver({ connection: { host: u.hostname, port: Number(u.port) } })),
    },
  })
  const ns = bc.namespace(p.prefix)
  await ns.set({ key: 'warm', value: 1, ttl: '5m' })
  return {
    call: (key, factory) => ns.getOrSet({ key, factory, ttl: `${TTL_S}s` }),
    close: () => bc.disconnectAll(),
  }
}

/** cache-manager 7's `wrap(key, fn, ttl)` over a Keyv on @keyv/redis. */
export async function cacheManager(p: StampedeParams): Promise<Stampeder> {
  const kv = new Keyv({ store: new KeyvRedis(p.url), namespace: p.prefix })
  kv.on('error', () => {})
  const cm = createCache({ stores: [kv], ttl: TTL_S * 1000 })
  await cm.set('warm', 1)
  return {
    call: (key, factory) => cm.wrap(key, factory, TTL_S * 1000),
    close: () => cm.disconnect(),
  }
}

/** The pattern without any lock: `GET`; on a miss run the factory and `SET … EX` (node-redis 6). */
export async function naive(p: StampedeParams): Promise<Stampeder> {
  const client = createClient({ url: p.url })
  client.on('error', () => {})
  await client.connect()
  return {
    async call(key, factory) {
      const k = `${p.prefix}:${key}`
      const hit = await client.get(k)
      if (hit !== null) return hit
      const v = await factory()
      await client.set(k, v, { expiration: { type: 'EX', value: TTL_S } })
      return v
    },
    close: () => client.destroy(),
  }
}
