/**
 * Parsing of a memcached `location` (docs/contract.md §1): `host:port`, `host`, `unix:/path`, `/path`,
 * `[::1]:11211`, a list of those, or one string split on `;` or `,` as Django does
 * (django/core/cache/backends/memcached.py `_servers`, pymemcache's server-string rules).
 */
import { ImproperlyConfigured } from '@cachework/core'

/** One memcached server: a TCP host and port, or a unix socket path. */
export interface ServerAddress {
  /** How the server is named on the hash ring and in messages (`host:port` or the socket path). */
  readonly name: string
  readonly host?: string
  readonly port?: number
  readonly path?: string
}

/** memcached's default port, used when a location names only a host. */
export const DEFAULT_MEMCACHED_PORT = 11211

function fail(alias: string, what: string, got: unknown): never {
  throw new ImproperlyConfigured(`CACHES['${alias}'].location ${what}, got ${JSON.stringify(got)}`)
}

function parsePort(alias: string, text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= 1 && port <= 65535)) fail(alias, 'has a port that is not a number from 1 to 65535', entry)
  return port
}

function parseOne(alias: string, entry: string): ServerAddress {
  if (entry.startsWith('unix:') || entry.startsWith('/')) {
    const path = entry.startsWith('unix:') ? entry.slice(5) : entry
    if (!path.startsWith('/'))
      fail(alias, "has a unix socket that is not an absolute path ('unix:/path')", entry)
    return { name: path, path }
  }
  if (entry.startsWith('[')) {
    // pymemcache: "[::1]:11211" → ("::1", 11211).
    const m = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(entry)
    if (!m) fail(alias, "has a malformed IPv6 server (write '[::1]:11211')", entry)
    const host = m[1] as string
    const port = m[2] === undefined ? DEFAULT_MEMCACHED_PORT : parsePort(alias, m[2], entry)
    return { name: `[${host}]:${port}`, host, port }
  }
  const colons = entry.split(':').length - 1
  if (colons > 1) fail(alias, "has an IPv6 address without brackets (write '[::1]:11211')", entry)
  const [host = '', portText] = entry.split(':')
  if (host === '' || /[\s/]/.test(host)) fail(alias, "has a server that is not 'host:port'", entry)
  const port = portText === undefined ? DEFAULT_MEMCACHED_PORT : parsePort(alias, portText, entry)
  return { name: `${host}:${port}`, host, port }
}

/**
 * Parse a memcached location into servers, in order, without duplicates. Throws
 * `ImproperlyConfigured` naming the alias and `location` when an entry is malformed or none is given.
 */
export function parseLocation(alias: string, location: string | readonly string[]): ServerAddress[] {
  const parts = typeof location === 'string' ? location.split(/[;,]/) : location
  const out: ServerAddress[] = []
  const seen = new Set<string>()
  for (const part of parts) {
    if (typeof part !== 'string') fail(alias, 'must hold strings', part)
    const entry = part.trim()
    if (entry === '') continue
    const server = parseOne(alias, entry)
    if (!seen.has(server.name)) {
      seen.add(server.name)
      out.push(server)
    }
  }
  if (out.length === 0)
    fail(alias, "must name at least one memcached server, e.g. '127.0.0.1:11211'", location)
  return out
}
