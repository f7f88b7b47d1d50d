/**
 * Stampede protection for the page cache (docs/contract.md rule 16 applied to pages):
 * stale-while-revalidate and stale-if-error kept server-side (RFC 5861 §3 and §4, from the
 * engine's options or the response's own `Cache-Control` directives), and a distributed lease
 * per URL so concurrent misses across processes run the view once.
 *
 * A page stored with a stale window carries `freshUntil`, `swrUntil` and `sieUntil` (epoch ms)
 * and is kept until the later of the two windows ends. Past `freshUntil`, one request per URL
 * (per process, or per fleet with `lock: 'distributed'`) claims the refresh and re-renders;
 * every other request is answered with the stale page at once.
 */
import type { Cache } from '../types.ts'
import type { StoredResponse } from './body.ts'
import { backoffMs } from '../lease.ts'
import { parseCacheControl } from './cache-control.ts'

/** The page-cache options this file reads. */
export interface PageStampedeOptions {
  /**
   * Seconds a page is served stale after its fresh lifetime while one request re-renders it.
   * Default 0, or the response's own `stale-while-revalidate=N` (RFC 5861 §3), which wins.
   */
  staleWhileRevalidate?: number
  /**
   * Seconds a stale page is served instead of an error (a throwing view, or 500/502/503/504).
   * Default 0, or the response's own `stale-if-error=N` (RFC 5861 §4), which wins.
   */
  staleIfError?: number
  /** `'distributed'`: one render per URL across every process sharing the cache. Default `'process'`. */
  lock?: 'process' | 'distributed'
  /** The lease's time to live (ms): a renderer that dies holds the others this long at most. Default 10000. */
  lockTimeoutMs?: number
}

/** A stored page with its stale windows. */
export interface StalePageFields {
  freshUntil?: number
  swrUntil?: number
  sieUntil?: number
}

/** 10 s: the default page `lockTimeoutMs`. */
export const DEFAULT_PAGE_LEASE_MS = 10_000

function seconds(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined
  const n = Number.parseInt(v, 10)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

/** The stale windows (seconds) of `response`: its RFC 5861 directives, else the options. */
export function staleWindows(response: Response, o: PageStampedeOptions): { swr: number; sie: number } {
  const cc = parseCacheControl(response.headers.get('cache-control'))
  return {
    swr: seconds(cc.get('stale-while-revalidate')) ?? o.staleWhileRevalidate ?? 0,
    sie: seconds(cc.get('stale-if-error')) ?? o.staleIfError ?? 0,
  }
}

/** Whether a stored page's fresh lifetime is over. */
export function isStalePage(stored: StoredResponse & StalePageFields, now: number): boolean {
  return stored.freshUntil !== undefined && stored.freshUntil <= now
}

/** RFC 5861 §4: the statuses that count as an error for stale-if-error. */
export function isErrorStatus(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504
}

interface Leasing {
  acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined>
  releaseLease(rawKey: string, token: string): Promise<void>
}

function leasing(cache: Cache): (Cache & Leasing) | undefined {
  const c = cache as Cache & Partial<Leasing>
  return typeof c.acquireLease === 'function' && typeof c.releaseLease === 'function'
    ? (c as Cache & Leasing)
    : undefined
}

/** Releases a claim or a lease. */
export type Release = () => Promise<void>

/**
 * The lease on the URL whose header key is `key`, when `o.lock` is `'distributed'`: a release
 * function when this caller won it, `undefined` when another process holds it. With the process
 * lock (or a cache without leases) there is nothing to take: a no-op release.
 */
export async function takePageLease(
  cache: Cache,
  key: string,
  o: PageStampedeOptions,
): Promise<Release | undefined> {
  const c = o.lock === 'distributed' ? leasing(cache) : undefined
  if (!c) return async () => {}
  const raw = c.makeKey(key)
  let token: string | undefined
  try {
    token = await c.acquireLease(raw, o.lockTimeoutMs ?? DEFAULT_PAGE_LEASE_MS)
  } catch {
    // The cache is down: the page is rendered uncached anyway (rule 15).
    return async () => {}
  }
  if (token === undefined) return undefined
  const t = token
  return () => c.releaseLease(raw, t).catch(() => undefined)
}

/** Refresh claims of this process: one re-render per URL, bounded in time. */
export class RefreshClaims {
  private readonly local = new Map<string, number>()

  /** Claim the refresh of `key`; a release function, or `undefined` when someone else refreshes. */
  async claim(cache: Cache, key: string, o: PageStampedeOptions, now: number): Promise<Release | undefined> {
    const until = this.local.get(key)
    if (until !== undefined && until > now) return undefined
    this.local.set(key, now + (o.lockTimeoutMs ?? DEFAULT_PAGE_LEASE_MS))
    const lease = await takePageLease(cache, key, o)
    if (!lease) {
      this.local.delete(key)
      return undefined
    }
    return async () => {
      this.local.delete(key)
      await lease()
    }
  }
}

/** How long a waiter sleeps before its `attempt`-th look at the cache: `backoffMs` (lease.ts). */
export function pagePollMs(attempt: number): number {
  return backoffMs(attempt)
}
