/**
 * The connections behind the `redis` backend: one primary with optional replicas, or a Redis
 * Cluster, on node-redis (loaded on first use, so `redis` stays an optional peer). Writes go to
 * the primary; reads go to a random ready replica (Django 6.1's `RedisCache._get_connection_pool`
 * picks `random.randint(1, n - 1)`), falling back to the primary while no replica is ready, and
 * for a short while (`readYourWritesMs`) after this process wrote the key, so a `set` followed by
 * a `get` never reads a replica that has not caught up. A client passed in `options.client` is
 * used as it is and never closed by the cache.
 */
import { ImproperlyConfigured } from '@cachework/core'
import type { RedisServer } from './redis-location.ts'
import type { RedisTlsOptions } from './redis-options.ts'
import { hashSlot } from './redis-scripts.ts'

/** The part of a node-redis client (`createClient`) this backend uses. */
export interface RedisNodeClient {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  sendCommand(args: string[]): Promise<unknown>
  on(event: 'error', listener: (e: unknown) => void): unknown
  removeListener(event: 'error', listener: (e: unknown) => void): unknown
  close(): Promise<unknown>
  destroy(): void
  duplicate(overrides: Record<string, unknown>): RedisNodeClient
}

/** The part of a node-redis cluster (`createCluster`) this backend uses. */
export interface RedisClusterClient {
  readonly isOpen: boolean
  readonly isReady: boolean
  readonly masters: readonly unknown[]
  connect(): Promise<unknown>
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>
  nodeClient(node: unknown): Promise<RedisNodeClient> | RedisNodeClient
  on(event: 'error', listener: (e: unknown) => void): unknown
  removeListener(event: 'error', listener: (e: unknown) => void): unknown
  close(): Promise<unknown>
  destroy(): void
}

/** How the backend wants its connections. */
export interface ConnectionSettings {
  alias: string
  servers: readonly RedisServer[]
  cluster: boolean
  /** An existing node-redis client or cluster (`options.client`). */
  client?: unknown
  timeoutMs: number
  readYourWritesMs: number
  /** Extra node-redis socket options (keepAlive, …). */
  socket?: Record<string, unknown>
  /** node:tls options for `rediss://` servers (`options.tls`: the CA, a client certificate). */
  tls?: RedisTlsOptions
  onError(e: unknown): void
}

/** Reconnect quickly at first, then once a second (docs/contract.md rule 15: recover by itself). */
const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** retries, 1000)

function isCluster(c: unknown): c is RedisClusterClient {
  return typeof c === 'object' && c !== null && 'masters' in c
}

/**
 * One unconnected node-redis client per process that the real ones are `duplicate`d from:
 * node-redis builds a client class per distinct options object (a single-entry cache keyed on
 * their JSON), which costs hundreds of ms, so a primary and its replicas, created from different
 * options one after another, would rebuild it every time.
 */
let template: RedisNodeClient | undefined

/** The part of the `redis` package this backend uses. */
interface RedisModule {
  createClient(o: unknown): RedisNodeClient
  createCluster(o: unknown): RedisClusterClient
}

let redisModule: Promise<RedisModule> | undefined
let redisModuleLoaded = false

/** The `redis` package (the optional peer), imported once per process. */
export function loadRedisModule(): Promise<RedisModule> {
  redisModule ??= (import('redis') as unknown as Promise<RedisModule>).then(
    (m) => {
      redisModuleLoaded = true
      return m
    },
    (e: unknown) => {
      redisModule = undefined
      throw e
    },
  )
  return redisModule
}

/** Whether `loadRedisModule` has finished (loading it is local work, not server time). */
export function redisModuleReady(): boolean {
  return redisModuleLoaded
}

/** A rejection for a command that cannot be sent: the server is known to be unreachable. */
export class OfflineError extends Error {
  override readonly name = 'OfflineError'
}

/** Primary + replicas, or a cluster: where each command goes. */
export class RedisConnections {
  private primary: RedisNodeClient | undefined
  private replicas: RedisNodeClient[] = []
  private cluster: RedisClusterClient | undefined
  private opening: Promise<void> | undefined
  private ready = false
  private readonly owned: boolean
  /** Keys this process wrote lately → until when (ms) their reads go to the primary. */
  private readonly recent = new Map<string, number>()
  /** Until when (ms) every read goes to the primary (after `clear()`). */
  private allUntil = 0

  constructor(private readonly s: ConnectionSettings) {
    this.owned = s.client === undefined
  }

  /** Whether this is a Redis Cluster. */
  get clustered(): boolean {
    return this.cluster !== undefined || (this.owned ? this.s.cluster : isCluster(this.s.client))
  }

  /** Connect (once; later calls share it). Resolves when the primary or cluster is ready. */
  open(): Promise<void> {
    if (!this.opening) {
      this.opening = this.connect()
      this.opening.catch(() => {
        this.opening = undefined
      })
    }
    return this.opening
  }

  private listen(c: { on(e: 'error', l: (e: unknown) => void): unknown }): void {
    c.on('error', this.s.onError)
  }

  private async connect(): Promise<void> {
    if (!this.owned) {
      const c = this.s.client as RedisNodeClient | RedisClusterClient
      this.listen(c)
      if (isCluster(c)) this.cluster = c
      else this.primary = c
      if (!c.isOpen) await c.connect()
      this.ready = true
      return
    }
    let redis: RedisModule
    try {
      redis = await loadRedisModule()
    } catch (e) {
      throw new ImproperlyConfigured(
        `CACHES['${this.s.alias}'] uses the redis backend, which needs the 'redis' package: npm install redis (${(e as Error).message})`,
      )
    }
    const socketOf = (sv: RedisServer) => ({
      ...(sv.path ? { path: sv.path } : { host: sv.host, port: sv.port }),
      ...(sv.tls ? { ...this.s.tls, tls: true } : {}),
      connectTimeout: Math.max(this.s.timeoutMs, 100),
      reconnectStrategy,
      ...this.s.socket,
    })
    const common = { disableOfflineQueue: true, disableClientInfo: true }
    if (this.s.cluster) {
      const first = this.s.servers[0] as RedisServer
      if ((first.db ?? 0) !== 0) {
        throw new ImproperlyConfigured(`CACHES['${this.s.alias}']: Redis Cluster has only database 0`)
      }
      const cluster = redis.createCluster({
        rootNodes: this.s.servers.map((sv) => ({ socket: socketOf(sv) })),
        defaults: { ...common, username: first.username, password: first.password, socket: socketOf(first) },
      })
      this.listen(cluster)
      this.cluster = cluster
      await cluster.connect()
      this.ready = true
      return
    }
    template ??= redis.createClient(common)
    const base = template
    const clients = this.s.servers.map((sv) =>
      base.duplicate({
        ...common,
        socket: socketOf(sv),
        username: sv.username,
        password: sv.password,
        database: sv.db,
      }),
    )
    for (const c of clients) this.listen(c)
    this.primary = clients[0]
    this.replicas = clients.slice(1)
    // Replicas connect in the background; reads use them once they are ready.
    for (const r of this.replicas) r.connect().catch(() => {})
    await (this.primary as RedisNodeClient).connect()
    this.ready = true
  }

  /** Send a write (or any primary-only command) for `key`. */
  write(key: string, args: string[]): Promise<unknown> {
    if (!this.ready) return this.open().then(() => this.write(key, args))
    if (this.replicas.length > 0) this.noteWrite(key)
    const cl = this.cluster
    if (cl) return cl.sendCommand(key, false, args)
    return send(this.primary as RedisNodeClient, args)
  }

  /** Send a read for `keys` (the first routes a cluster command): a ready replica, else the primary. */
  read(keys: readonly string[], args: string[]): Promise<unknown> {
    if (!this.ready) return this.open().then(() => this.read(keys, args))
    const cl = this.cluster
    if (cl) return cl.sendCommand(keys[0], true, args)
    const primary = this.primary as RedisNodeClient
    if (this.replicas.length === 0) return send(primary, args)
    const replica = this.pickReplica(keys)
    if (!replica) return send(primary, args)
    // A replica that fails (killed, restarting) is not the answer: ask the primary instead.
    return send(replica, args).catch((e) => (isReplyError(e) ? Promise.reject(e) : send(primary, args)))
  }

  private pickReplica(keys: readonly string[]): RedisNodeClient | undefined {
    if (this.recent.size > 0 || this.allUntil > 0) {
      const now = Date.now()
      if (this.allUntil > now) return undefined
      for (const k of keys) {
        const until = this.recent.get(k)
        if (until !== undefined && until > now) return undefined
      }
    }
    const n = this.replicas.length
    const start = Math.floor(Math.random() * n)
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(start + i) % n] as RedisNodeClient
      if (r.isReady) return r
    }
    return undefined
  }

  /** Remember that `key` was written, so this process reads it from the primary for a while. */
  noteWrite(key: string): void {
    if (this.s.readYourWritesMs <= 0) return
    const now = Date.now()
    this.recent.delete(key)
    this.recent.set(key, now + this.s.readYourWritesMs)
    if (this.recent.size > 10_000) {
      // Oldest first (Map keeps insertion order): drop what has run out, or the oldest half.
      let drop = this.recent.size / 2
      for (const [k, until] of this.recent) {
        if (until > now && drop <= 0) break
        this.recent.delete(k)
        drop--
      }
    }
  }

  /** After `clear()`: every read goes to the primary for `readYourWritesMs`. */
  noteWriteAll(): void {
    if (this.replicas.length > 0) this.allUntil = Date.now() + this.s.readYourWritesMs
  }

  /** Split keys into groups one multi-key command may take: all of them, or one group per cluster slot. */
  groups(keys: string[]): string[][] {
    if (!this.clustered) return [keys]
    const bySlot = new Map<number, string[]>()
    for (const k of keys) {
      const slot = hashSlot(k)
      const g = bySlot.get(slot)
      if (g) g.push(k)
      else bySlot.set(slot, [k])
    }
    return [...bySlot.values()]
  }

  /** The clients that hold every key once: the primary, or each cluster master. */
  async primaries(): Promise<RedisNodeClient[]> {
    await this.open()
    if (this.cluster)
      return Promise.all(this.cluster.masters.map((m) => (this.cluster as RedisClusterClient).nodeClient(m)))
    return [this.primary as RedisNodeClient]
  }

  /** Close what this cache opened (a client from `options.client` stays open); the next use reopens. */
  async close(): Promise<void> {
    const opening = this.opening
    this.opening = undefined
    this.ready = false
    const all: Array<RedisNodeClient | RedisClusterClient> = this.cluster
      ? [this.cluster]
      : [this.primary, ...this.replicas].filter((c): c is RedisNodeClient => c !== undefined)
    this.cluster = undefined
    this.primary = undefined
    this.replicas = []
    this.recent.clear()
    if (!this.owned) {
      for (const c of all) c.removeListener('error', this.s.onError)
      return
    }
    await Promise.all(
      all.map(async (c) => {
        if (c.isReady) {
          let timer: ReturnType<typeof setTimeout> | undefined
          await Promise.race([
            c.close().catch(() => {}),
            new Promise((r) => {
              timer = setTimeout(r, this.s.timeoutMs)
            }),
          ])
          clearTimeout(timer)
        }
        try {
          if (c.isOpen) c.destroy()
        } catch {}
      }),
    )
    await opening?.catch(() => {})
  }
}

/** Send on one client, failing at once (no offline queue) while it is not connected. */
function send(c: RedisNodeClient, args: string[]): Promise<unknown> {
  if (!c.isReady) return Promise.reject(new OfflineError('not connected'))
  return c.sendCommand(args)
}

/** Whether `e` is an error reply from the server (as opposed to a connection failure). */
export function isReplyError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false
  const n = e.constructor.name
  return n === 'SimpleError' || n === 'BlobError' || n === 'ErrorReply'
}
