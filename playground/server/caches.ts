/**
 * The playground's cache configuration: embedded defaults that need no server (local memory,
 * SQLite, files under the data directory), and memcached or Redis for the page cache when
 * `CACHEWORK_MEMCACHED` or `CACHEWORK_REDIS` names servers.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { CachesConfig } from '@cachework/core'

/** Where the playground keeps its SQLite file and cache files; `CACHEWORK_DATA_DIR` overrides. */
export function dataDir(): string {
  const dir = process.env.CACHEWORK_DATA_DIR || join(import.meta.dirname, '..', '.data')
  mkdirSync(dir, { recursive: true })
  return dir
}

/** The memcached servers from `CACHEWORK_MEMCACHED` (`host:port[,host:port…]`), or `[]`. */
export function memcachedServers(): string[] {
  return (process.env.CACHEWORK_MEMCACHED ?? '')
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** The Redis location from `CACHEWORK_REDIS` (`redis://127.0.0.1:6379`, or a `,`-separated primary and replicas), or `''`. */
export function redisLocation(): string {
  return (process.env.CACHEWORK_REDIS ?? '').trim()
}

/** The `pages` alias: files by default, memcached with `CACHEWORK_MEMCACHED`, Redis with `CACHEWORK_REDIS`. */
function pagesCache(dir: string): CachesConfig[string] {
  const servers = memcachedServers()
  const redis = redisLocation()
  if (servers.length > 0 && redis !== '') {
    throw new Error('Set CACHEWORK_MEMCACHED or CACHEWORK_REDIS for the page cache, not both')
  }
  if (redis !== '') return { backend: 'redis', location: redis, timeout: 600, keyPrefix: 'playground' }
  if (servers.length > 0)
    return { backend: 'memcached', location: servers, timeout: 600, keyPrefix: 'playground' }
  return { backend: 'file', location: join(dir, 'pages'), timeout: 600, options: { maxEntries: 500 } }
}

/**
 * The caches, Django-style: `default` (local memory: trending stats), `pages` (the page cache of
 * the middleware and `cachePage`: files, memcached or Redis), `template_fragments` (the `{% cache %}`
 * tag's alias, as in Django: a SQLite table).
 */
export function playgroundCaches(): CachesConfig {
  const dir = dataDir()
  return {
    default: { backend: 'locmem', location: 'playground-default', timeout: 300 },
    pages: pagesCache(dir),
    template_fragments: {
      backend: 'db',
      location: 'courier_fragments',
      timeout: 300,
      options: { database: join(dir, 'cache.sqlite3'), maxEntries: 1000 },
    },
  }
}

/** Where one alias keeps its entries, in words. */
export interface CacheDescription {
  alias: string
  backend: string
  location: string
}

/** Describe every alias of the config (for the start-up banner and the About page). */
export function describeCaches(config: CachesConfig): CacheDescription[] {
  return Object.entries(config).map(([alias, c]) => {
    const cfg = c as { backend: unknown; location?: unknown; options?: { database?: unknown } }
    const backend = typeof cfg.backend === 'string' ? cfg.backend : 'custom'
    const loc = Array.isArray(cfg.location) ? cfg.location.join(', ') : String(cfg.location ?? '')
    const location = cfg.options?.database ? `${loc} in ${String(cfg.options.database)}` : loc
    return { alias, backend, location }
  })
}
