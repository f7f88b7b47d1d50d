/**
 * The `redis` backend's own options (docs/contract.md rule 19), beside rule 15's `timeoutMs` and
 * `ignoreErrors`: their names, their types, their defaults and the check the config validation runs.
 */
import type { CommonOptions } from '@cachework/core'

/** The option names the `redis` backend knows (others are reported as unknown). */
export const REDIS_OPTION_NAMES: readonly string[] = [
  'db',
  'username',
  'password',
  'cluster',
  'client',
  'clear',
  'readYourWritesMs',
  'socket',
  'tls',
]

/** How long (ms) after this process wrote a key its reads go to the primary, by default. */
export const DEFAULT_READ_YOUR_WRITES_MS = 1000

/** What `options.tls` may hold (node:tls `connect` options; PEM text or Buffers). */
export interface RedisTlsOptions {
  /** The CA certificate(s) that signed the server's certificate (replaces Node's default CAs). */
  ca?: string | Buffer | Array<string | Buffer>
  /** A client certificate, for servers started with `--tls-auth-clients yes`. */
  cert?: string | Buffer
  /** The client certificate's private key. */
  key?: string | Buffer
  /** The name checked against the server's certificate (default: the host). */
  servername?: string
  /** Whether an unverifiable certificate is refused (default true; never turn it off in production). */
  rejectUnauthorized?: boolean
}

const TLS_KEYS = new Set(['ca', 'cert', 'key', 'servername', 'rejectUnauthorized'])

function checkTls(tls: unknown): string | undefined {
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls))
    return 'tls must be an object such as { ca: <PEM> }'
  for (const k of Object.keys(tls))
    if (!TLS_KEYS.has(k)) return `tls.${k} is not known (ca, cert, key, servername, rejectUnauthorized)`
  const t = tls as Record<string, unknown>
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean')
    return 'tls.rejectUnauthorized must be a boolean'
  if (t.servername !== undefined && typeof t.servername !== 'string') return 'tls.servername must be a string'
  return undefined
}

/** Check the redis-specific options; a message for the first bad one, or `undefined`. */
export function checkRedisOptions(o: Record<string, unknown>): string | undefined {
  if (o.db !== undefined && !(Number.isInteger(o.db) && (o.db as number) >= 0))
    return `db must be an integer >= 0, got ${String(o.db)}`
  for (const k of ['username', 'password'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'string') return `${k} must be a string`
  if (o.cluster !== undefined && typeof o.cluster !== 'boolean') return 'cluster must be a boolean'
  if (o.clear !== undefined && o.clear !== 'prefix' && o.clear !== 'flushdb')
    return `clear must be 'prefix' or 'flushdb', got ${JSON.stringify(o.clear)}`
  const ryw = o.readYourWritesMs
  if (ryw !== undefined && !(typeof ryw === 'number' && ryw >= 0))
    return `readYourWritesMs must be a number >= 0, got ${String(ryw)}`
  if (
    o.client !== undefined &&
    (typeof o.client !== 'object' || o.client === null || !('sendCommand' in o.client))
  )
    return 'client must be a node-redis client or cluster (createClient / createCluster from the redis package)'
  if (o.socket !== undefined && (typeof o.socket !== 'object' || o.socket === null))
    return 'socket must be an object'
  if (o.tls !== undefined) return checkTls(o.tls)
  return undefined
}

/** `redis` options, beside the common ones (see `RedisCache`). */
export interface RedisOptions extends CommonOptions {
  /** The database number (the URL's own wins). */
  db?: number
  username?: string
  password?: string
  /** The servers form a Redis Cluster. Default false. */
  cluster?: boolean
  /** An existing node-redis client or cluster (`createClient`/`createCluster`), left open on `close()`. */
  client?: object
  /** What `clear()` removes: this cache's keys (`'prefix'`, the default) or the database (`'flushdb'`, Django's). */
  clear?: 'prefix' | 'flushdb'
  /** How long reads go to the primary after this process wrote, in ms. Default 1000. */
  readYourWritesMs?: number
  /** Extra node-redis socket options. */
  socket?: Record<string, unknown>
  /** For `rediss://` servers: node:tls options (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`). */
  tls?: RedisTlsOptions
}

// The names this entry registers, with their options, for `configureCaches`' types.
declare module '@cachework/core' {
  interface CacheBackends {
    redis: RedisOptions
    'django.core.cache.backends.redis.RedisCache': RedisOptions
  }
}
