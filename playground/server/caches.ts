/**
 * The playground's cache configuration: embedded defaults that need no server (local memory,
 * SQLite, files under the data directory), and memcached for the page cache when
 * `CACHEWORK_MEMCACHED` names servers.
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

/**
 * The caches, Django-style: `default` (local memory: trending stats), `pages` (the page cache of
 * the middleware and `cachePage`: files, or memcached), `template_fragments` (the `{% cache %}`
 * tag's alias, as in Django: a SQLite table).
 */
export function playgroundCaches(): CachesConfig {
  const dir = dataDir()
  const servers = memcachedServers()
  return {
    default: { backend: 'locmem', location: 'playground-default', timeout: 300 },
    pages:
      servers.length > 0
        ? { backend: 'memcached', location: servers, timeout: 600, keyPrefix: 'playground' }
        : { backend: 'file', location: join(dir, 'pages'), timeout: 600, options: { maxEntries: 500 } },
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
