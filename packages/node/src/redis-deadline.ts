/**
 * Rule 15 for the `redis` backend (docs/contract.md): every call settles within `timeoutMs`,
 * and whatever node-redis rejects with (connection closed, offline, an error reply such as
 * `LOADING`, `READONLY` or `CLUSTERDOWN`) becomes `CacheUnavailableError`, which `BaseCache`
 * turns into a miss for reads and a rejection (or `false`) for writes.
 *
 * One watchdog timer per cache (core's `CallDeadlines`) replaces a timer per call, so the hot
 * path pays a Map insert and delete instead of a `setTimeout`/`clearTimeout` pair. A call past
 * its deadline fails only
 * after the event loop has read the sockets once more (a reply that arrived while the loop was
 * busy still counts), and loading the `redis` module on first use is not server time: a call
 * made before it is loaded starts its deadline once it is (redis.ts `withTimeout`).
 */
import {
  CacheUnavailableError,
  ImproperlyConfigured,
  InvalidCacheKey,
  KeyNotFoundError,
} from '@cachework/core'
import { CallDeadlines } from '@cachework/core/backend'

/**
 * The redis backend's watchdog: core's `CallDeadlines` (one timer per cache), failing a late call
 * only after a `setImmediate` (the poll phase that reads sockets runs first), and converting
 * node-redis rejections with {@link toCacheError}.
 */
export function redisDeadlines(ms: number, label: string): CallDeadlines {
  return new CallDeadlines(ms, label, {
    settleFirst: (fail) => setImmediate(fail),
    convert: (e, what) => toCacheError(e, label, what),
  })
}

/** Errors that are answers, not failures to reach the server: they pass through unchanged. */
function isOwnError(e: unknown): boolean {
  return (
    e instanceof CacheUnavailableError ||
    e instanceof KeyNotFoundError ||
    e instanceof TypeError ||
    e instanceof RangeError ||
    e instanceof InvalidCacheKey ||
    e instanceof ImproperlyConfigured
  )
}

/** Turn a node-redis rejection into `CacheUnavailableError` (keeping it as `cause`). */
export function toCacheError(e: unknown, label: string, what: string): unknown {
  if (isOwnError(e)) return e
  const message = e instanceof Error ? e.message : String(e)
  return new CacheUnavailableError(`${label} failed ${what}: ${message}`, { cause: e })
}
