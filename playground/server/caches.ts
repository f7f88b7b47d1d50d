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
 * The caches, Django-style: `default` (local memory: trending stats, the article list),
 * `pages` (the page cache of the middleware and `cachePage`), `template_fragments` (the
 * `{% cache %}` tag's alias, as in Django).
 */
export function playgroundCaches(): CachesConfig {
  dataDir()
  const servers = memcachedServers()
  return {
    default: { backend: 'locmem', location: 'playground-default', timeout: 300 },
    pages:
      servers.length > 0
        ? { backend: 'locmem', location: servers.join(','), timeout: 600, keyPrefix: 'playground' }
        : { backend: 'locmem', location: 'playground-pages', timeout: 600 },
    template_fragments: { backend: 'locmem', location: 'playground-fragments', timeout: 300 },
  }
}

/** One line per alias saying where it keeps its entries, for the start-up banner. */
export function describeCaches(config: CachesConfig): string[] {
  return Object.entries(config).map(([alias, c]) => {
    const cfg = c as { backend: unknown; location?: unknown }
    const backend = typeof cfg.backend === 'string' ? cfg.backend : 'custom'
    return `  ${alias.padEnd(19)} ${backend.padEnd(10)} ${String(cfg.location ?? '')}`
  })
}
