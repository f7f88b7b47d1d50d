/** The response cache's options and their defaults (Django's `CACHE_MIDDLEWARE_*` settings and ours). */
import type { KeyOptions } from './keys.ts'
import type { PageStampedeOptions } from './page-stampede.ts'
import type { PageTags, TagHeader } from './page-tags.ts'

/** Options of the response cache (Django's `CACHE_MIDDLEWARE_*` settings and ours). */
export interface ResponseCacheOptions extends KeyOptions, PageStampedeOptions {
  /** Django's `cache_timeout` (`CACHE_MIDDLEWARE_SECONDS`): used when the response has no `max-age`. Default 600. */
  cacheTimeout?: number
  /** `cache_page`'s timeout: beats `max-age` when set (Django 3.1+). Default: none. */
  pageTimeout?: number | null
  /** Larger bodies are served but not stored. Default 5 MiB. */
  maxBodyBytes?: number
  /**
   * A body still arriving after this many ms is streamed to the client while it is read for
   * the cache (in-memory bodies always end sooner). Default 50.
   */
  streamAfterMs?: number
  /** Answer `If-None-Match`/`If-Modified-Since` with `304` (and failed `If-Match` with `412`). Default true. */
  conditional?: boolean
  /** Concurrent misses for one page run the handler once. Default true. */
  singleFlight?: boolean
  /**
   * How long a request waits on another request's run of the same page (single-flight) before
   * it runs the handler itself, so a handler that never finishes holds nobody else. Default
   * 10000 ms.
   */
  flightWaitMs?: number
  /**
   * Django's `ALLOWED_HOSTS`: the hosts this site answers for (`'*'` any, `'.example.com'` the
   * domain and its subdomains, else exact). A malformed or unlisted host is answered `400` and
   * never reaches the cache (docs/contract.md rule 20). Default: any well-formed host.
   */
  allowedHosts?: readonly string[]
  /** Called when the cache fails (the page is then served uncached). Default: ignore. */
  onError?: (error: unknown) => void
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
  /**
   * `'django'` (Django's middleware rules, the default) or `'shared'`: an RFC 9111 shared cache
   * (shared-cache.ts, docs/contract.md §3b; `pageTimeout` becomes its `defaultTtl`).
   */
  mode?: 'django' | 'shared'
  /**
   * Tags stored with each page (a list, or a function of the request), so `invalidateTags`
   * drops them (docs/contract.md rule 17; page-tags.ts). Default: none.
   */
  tags?: PageTags
  /** Also send the tags to a CDN in this response header. Default `false`. */
  tagHeader?: TagHeader
}

/** A handler the engine runs on a miss. */
export type NextHandler = (request: Request) => Response | Promise<Response>

/** 10 s: the default `flightWaitMs`. */
export const DEFAULT_FLIGHT_WAIT_MS = 10_000

/** 5 MiB: the default `maxBodyBytes`. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024

/** Throw a `TypeError` naming the first option that should be a number and is not. */
export function checkNumberOptions(options: ResponseCacheOptions): void {
  for (const name of [
    'cacheTimeout',
    'pageTimeout',
    'maxBodyBytes',
    'streamAfterMs',
    'flightWaitMs',
  ] as const) {
    const v = options[name]
    if (v !== undefined && v !== null && (typeof v !== 'number' || Number.isNaN(v))) {
      throw new TypeError(`Response cache option '${name}' must be a number, got ${JSON.stringify(v)}`)
    }
  }
}
