/**
 * Parsing of a Redis `location` (docs/contract.md rule 19): `redis://[user:pass@]host[:port][/db]`,
 * `rediss://…` (TLS), `unix:///path/to.sock[?db=N]`, a list of those, or one string split on
 * `;` or `,` as Django's `RedisCache._servers` does (django/core/cache/backends/redis.py). As in
 * redis-py's `from_url`, what the URL says wins over `options.db` / `username` / `password`.
 */
import { ImproperlyConfigured } from '@cachework/core'

/** One Redis server, ready to become node-redis client options. */
export interface RedisServer {
  /** `host:port` or the socket path, for messages. */
  readonly name: string
  readonly host?: string
  readonly port?: number
  readonly path?: string
  readonly tls: boolean
  readonly username?: string
  readonly password?: string
  readonly db?: number
}

/** Redis's default port, used when a URL names only a host. */
export const DEFAULT_REDIS_PORT = 6379

/** The connection defaults an alias's options give every server (a URL's own values win). */
export interface RedisDefaults {
  db?: number
  username?: string
  password?: string
}

function fail(alias: string, what: string, got: unknown): never {
  throw new ImproperlyConfigured(`CACHES['${alias}'].location ${what}, got ${JSON.stringify(got)}`)
}

function parseDb(alias: string, text: string, entry: string): number {
  if (!/^\d{1,5}$/.test(text)) fail(alias, 'has a database number that is not a non-negative integer', entry)
  return Number(text)
}

function parseOne(alias: string, entry: string, d: RedisDefaults): RedisServer {
  const scheme = /^([a-z]+):\/\//i.exec(entry)?.[1]?.toLowerCase()
  if (scheme !== 'redis' && scheme !== 'rediss' && scheme !== 'unix') {
    fail(
      alias,
      "must hold redis:// , rediss:// or unix:// URLs (e.g. 'redis://127.0.0.1:6379/0', as Django's RedisCache)",
      entry,
    )
  }
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    fail(alias, 'has a malformed URL', entry)
  }
  const username = url.username ? decodeURIComponent(url.username) : d.username
  const password = url.password
    ? decodeURIComponent(url.password)
    : (url.searchParams.get('password') ?? d.password)
  const dbParam = url.searchParams.get('db')
  if (scheme === 'unix') {
    const path = decodeURIComponent(url.pathname)
    if (!path.startsWith('/') || url.host !== '')
      fail(alias, "has a unix socket that is not 'unix:///absolute/path'", entry)
    const db = dbParam === null ? d.db : parseDb(alias, dbParam, entry)
    return { name: path, path, tls: false, username, password, db }
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (host === '') fail(alias, 'has a URL without a host', entry)
  const port = url.port === '' ? DEFAULT_REDIS_PORT : Number(url.port)
  const dbPath = url.pathname.replace(/^\//, '')
  let db = d.db
  if (dbPath !== '') db = parseDb(alias, dbPath, entry)
  else if (dbParam !== null) db = parseDb(alias, dbParam, entry)
  const name = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  return { name, host, port, tls: scheme === 'rediss', username, password, db }
}

/**
 * Parse a Redis location into servers, in order (the first is the primary), without duplicates.
 * Throws `ImproperlyConfigured` naming the alias and `location` when an entry is malformed or
 * none is given.
 */
export function parseRedisLocation(
  alias: string,
  location: string | readonly string[],
  defaults: RedisDefaults = {},
): RedisServer[] {
  const parts = typeof location === 'string' ? location.split(/[;,]/) : location
  const out: RedisServer[] = []
  const seen = new Set<string>()
  for (const part of parts) {
    if (typeof part !== 'string') fail(alias, 'must hold strings', part)
    const entry = part.trim()
    if (entry === '') continue
    const server = parseOne(alias, entry, defaults)
    const id = `${server.name}/${server.db ?? 0}`
    if (!seen.has(id)) {
      seen.add(id)
      out.push(server)
    }
  }
  if (out.length === 0)
    fail(alias, "must name at least one Redis server, e.g. 'redis://127.0.0.1:6379'", location)
  return out
}
