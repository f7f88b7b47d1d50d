/**
 * The node-redis surface the `redis` backend uses (docs/contract.md rule 19): the parts of a
 * client (`createClient`) and a cluster (`createCluster`) it calls, loading the `redis` package
 * (an optional peer) once per process, and how a failed send is told apart from an error reply.
 */

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

/** Whether `c` is a node-redis cluster rather than a single client. */
export function isCluster(c: unknown): c is RedisClusterClient {
  return typeof c === 'object' && c !== null && 'masters' in c
}

/** The part of the `redis` package this backend uses. */
export interface RedisModule {
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

/**
 * Send on one client, failing at once (no offline queue) while it is not connected. A
 * synchronous throw from node-redis comes back as a rejection, so every caller has one failure
 * path: a deadline entry (rule 15) is settled by it, never left to fail later as a spurious error.
 */
export function send(c: RedisNodeClient, args: string[]): Promise<unknown> {
  if (!c.isReady) return Promise.reject(new OfflineError('not connected'))
  try {
    return c.sendCommand(args)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** `send` on a cluster, routed by `firstKey`: a synchronous throw comes back as a rejection too. */
export function sendCluster(
  cl: RedisClusterClient,
  firstKey: string | undefined,
  isReadonly: boolean,
  args: string[],
): Promise<unknown> {
  try {
    return cl.sendCommand(firstKey, isReadonly, args)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** Whether `e` is an error reply from the server (as opposed to a connection failure). */
export function isReplyError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false
  const n = e.constructor.name
  return n === 'SimpleError' || n === 'BlobError' || n === 'ErrorReply'
}
