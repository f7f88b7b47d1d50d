/**
 * How the response-cache engine's `mode` option reaches the shared cache (docs/contract.md §3b):
 * kept out of engine.ts so Django mode's file stays Django's.
 */
import type { ResponseCacheOptions } from './engine.ts'
import { SharedResponseCache } from './shared-cache.ts'

export type { SharedResponseCache }

/** The shared engine for `mode: 'shared'` options: `pageTimeout` becomes `defaultTtl`. */
export function sharedEngine(options: ResponseCacheOptions): SharedResponseCache {
  return new SharedResponseCache({
    cache: options.cache,
    registry: options.registry,
    keyPrefix: options.keyPrefix,
    maxBodyBytes: options.maxBodyBytes,
    defaultTtl: options.pageTimeout ?? null,
    onError: options.onError,
    now: options.now,
  })
}

/** The two halves (Django's two middlewares) exist in Django mode only. */
export function djangoOnly(engine: { readonly shared?: SharedResponseCache }, what: string): void {
  if (engine.shared) {
    throw new TypeError(`${what} is Django mode's half of the cache; with mode: 'shared' use handle()`)
  }
}
