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
import {
  isCluster,
  isReplyError,
  loadRedisModule,
  OfflineError,
  type RedisClusterClient,
  type RedisModule,
  type RedisNodeClient,
  send,
  sendCluster,
} from './redis-client.ts'
import type { RedisServer } from './redis-location.ts'
import type { RedisTlsOptions } from './redis-options.ts'
import { RecentWrites } from './redis-recent-writes.ts'
import { hashSlot } from './redis-scripts.ts'

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

/**
 * One unconnected node-redis client per process that the real ones are `duplicate`d from:
 * node-redis builds a client class per distinct options object (a single-entry cache keyed on
 * their JSON), which costs hundreds of ms, so a primary and its replicas, created from different
 * options one after another, would rebuild it every time.
 */
let template: RedisNodeClient | undefined

/**
 * No per-command timer from node-redis. node-redis 6 gives every command a 5 s timeout by
 * default (`commandOptions.timeout`, DEFAULT_COMMAND_TIMEOUT), armed as an `AbortSignal.timeout`
 * plus a listener and disarmed once the command is written (node-redis PR #3008: it only covers a
 * command still waiting to be sent). That timer about doubled the client's work per command
 * (callgrind: 310,600 → 164,000 instructions per `GET`), and it is redundant here: every call is
 * already under this cache's own `timeoutMs` watchdog (redis-deadline.ts, rule 15).
 */
const NO_COMMAND_TIMER = { timeout: 0 }

/** Primary + replicas, or a cluster: where each command goes. */
export class RedisConnections {
  private primary: RedisNodeClient | undefined
  private replicas: RedisNodeClient[] = []
  private cluster: RedisClusterClient | undefined
  private opening: Promise<void> | undefined
  private ready = false
  private readonly owned: boolean
  /** Keys this process wrote lately: their reads go to the primary for a while. */
  private readonly recent: RecentWrites
  /**
   * The primary's connection attempt failed and none has succeeded since: calls fail at once
   * (a miss for reads, rule 15) instead of each waiting out `timeoutMs` while node-redis retries
   * in the background.
   */
  private failing = false
  /** Calls waiting for the first connection, failed by the first connection error. */
  private readonly waiting = new Set<(e: unknown) => void>()

  constructor(private readonly s: ConnectionSettings) {
    this.owned = s.client === undefined
    this.recent = new RecentWrites(s.readYourWritesMs)
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

  /** Stops watching the primary's errors. */
  private unwatch: (() => void) | undefined

  /** Watch the primary (not a replica or a cluster node): an `error` before it connected fails the waiting calls. */
  private watchPrimary(c: RedisNodeClient): void {
    const onError = (e: unknown): void => {
      if (this.ready || this.primary !== c) return
      this.failing = true
      const why = new OfflineError(`not connected: ${e instanceof Error ? e.message : String(e)}`)
      for (const reject of this.waiting) reject(why)
      this.waiting.clear()
    }
    c.on('error', onError)
    this.unwatch = () => c.removeListener('error', onError)
  }

  private connected(): void {
    this.ready = true
    this.failing = false
    this.waiting.clear()
  }

  /** Resolve once connected; reject at once while the primary is known to be unreachable. */
  private whenReady(): Promise<void> {
    if (this.failing) {
      // node-redis keeps reconnecting a client it created; only a failed open needs a new one.
      if (this.opening === undefined) this.open().catch(() => {})
      return Promise.reject(new OfflineError('not connected'))
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.add(reject)
      this.open().then(
        () => {
          this.waiting.delete(reject)
          resolve()
        },
        (e: unknown) => {
          this.waiting.delete(reject)
          reject(e)
        },
      )
    })
  }

  private async connect(): Promise<void> {
    if (!this.owned) {
      const c = this.s.client as RedisNodeClient | RedisClusterClient
      this.listen(c)
      if (isCluster(c)) this.cluster = c
      else {
        this.primary = c
        this.watchPrimary(c)
      }
      if (!c.isOpen) await c.connect()
      this.connected()
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
    const common = { disableOfflineQueue: true, disableClientInfo: true, commandOptions: NO_COMMAND_TIMER }
    if (this.s.cluster) {
      const first = this.s.servers[0] as RedisServer
      if ((first.db ?? 0) !== 0) {
        throw new ImproperlyConfigured(`CACHES['${this.s.alias}']: Redis Cluster has only database 0`)
      }
      const cluster = redis.createCluster({
        rootNodes: this.s.servers.map((sv) => ({ socket: socketOf(sv) })),
        commandOptions: NO_COMMAND_TIMER,
        defaults: { ...common, username: first.username, password: first.password, socket: socketOf(first) },
      })
      this.listen(cluster)
      this.cluster = cluster
      await cluster.connect()
      this.connected()
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
    this.watchPrimary(this.primary as RedisNodeClient)
    // Replicas connect in the background; reads use them once they are ready.
    for (const r of this.replicas) r.connect().catch(() => {})
    await (this.primary as RedisNodeClient).connect()
    this.connected()
  }

  /** Send a write (or any primary-only command) for `key`. */
  write(key: string, args: string[]): Promise<unknown> {
    if (!this.ready) return this.whenReady().then(() => this.write(key, args))
    if (this.replicas.length > 0) this.noteWrite(key)
    const cl = this.cluster
    if (cl) return sendCluster(cl, key, false, args)
    return send(this.primary as RedisNodeClient, args)
  }

  /** Send a read for `keys` (the first routes a cluster command): a ready replica, else the primary. */
  read(keys: readonly string[], args: string[]): Promise<unknown> {
    if (!this.ready) return this.whenReady().then(() => this.read(keys, args))
    const cl = this.cluster
    if (cl) return sendCluster(cl, keys[0], true, args)
    const primary = this.primary as RedisNodeClient
    if (this.replicas.length === 0) return send(primary, args)
    const replica = this.pickReplica(keys)
    if (!replica) return send(primary, args)
    // A replica that fails (killed, restarting) is not the answer: ask the primary instead.
    return send(replica, args).catch((e) => (isReplyError(e) ? Promise.reject(e) : send(primary, args)))
  }

  /** `read` of one key (`args[1]`): a single primary is asked directly, with no key list made. */
  readKey(key: string, args: string[]): Promise<unknown> {
    if (!this.ready || this.cluster !== undefined || this.replicas.length > 0) return this.read([key], args)
    return send(this.primary as RedisNodeClient, args)
  }

  /** `read` of a multi-key command whose keys are `args[1…]` (one hash slot on a cluster). */
  readKeys(args: string[]): Promise<unknown> {
    if (!this.ready || this.cluster !== undefined || this.replicas.length > 0)
      return this.read(args.slice(1), args)
    return send(this.primary as RedisNodeClient, args)
  }

  private pickReplica(keys: readonly string[]): RedisNodeClient | undefined {
    if (this.recent.pinned(keys)) return undefined
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
    this.recent.note(key)
  }

  /** After `clear()`: every read goes to the primary for `readYourWritesMs`. */
  noteWriteAll(): void {
    if (this.replicas.length > 0) this.recent.noteAll()
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
    if (!this.ready) await this.whenReady()
    if (this.cluster)
      return Promise.all(this.cluster.masters.map((m) => (this.cluster as RedisClusterClient).nodeClient(m)))
    return [this.primary as RedisNodeClient]
  }

  /** Close what this cache opened (a client from `options.client` stays open); the next use reopens. */
  async close(): Promise<void> {
    const opening = this.opening
    this.opening = undefined
    this.ready = false
    this.failing = false
    this.unwatch?.()
    this.unwatch = undefined
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
