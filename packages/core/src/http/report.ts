/**
 * What the response cache decided, as events for inspection tools (the devtools timeline and
 * page-cache chart): a hit, a miss, a stored response, or a response not stored and why.
 * Realm-wide on `globalThis` under a registered symbol (as `inspect.ts`), so two copies of
 * core share one list; with no listener, reporting costs one property read.
 */

/** Why the response cache did not store a response (Django's `UpdateCacheMiddleware` rules). */
export type NotStoredReason =
  | 'method'
  | 'status'
  | 'private'
  | 'no-cache'
  | 'no-store'
  | 'set-cookie'
  | 'vary-star'
  | 'max-age-0'
  | 'timeout-0'
  | 'size'
  | 'streaming'
  | 'error'

/** One response-cache decision. */
export interface PageCacheReport {
  type: 'hit' | 'miss' | 'store' | 'not-stored'
  /** Alias of the cache the engine used (`''` when it could not resolve one). */
  alias: string
  method: string
  url: string
  status?: number
  reason?: NotStoredReason
  at: number
}

/** A listener of `onPageCacheReport`; what it throws is swallowed. */
export type PageCacheListener = (r: PageCacheReport) => void

interface ReportState {
  listeners: Set<PageCacheListener>
}

const KEY = Symbol.for('cachework.pageCacheReports')

function state(): ReportState {
  const g = globalThis as { [KEY]?: ReportState }
  g[KEY] ??= { listeners: new Set() }
  return g[KEY]
}

/** Listen to every response cache's decisions in this realm. Returns the function that stops. */
export function onPageCacheReport(listener: PageCacheListener): () => void {
  const s = state()
  s.listeners.add(listener)
  return () => {
    s.listeners.delete(listener)
  }
}

/** Whether anyone listens (lets the engine skip building reports). */
export function pageCacheReporting(): boolean {
  return state().listeners.size > 0
}

/** Deliver one decision to every listener. */
export function reportPageCache(r: PageCacheReport): void {
  for (const l of state().listeners) {
    try {
      l(r)
    } catch {
      // A listener's failure never breaks a response.
    }
  }
}
