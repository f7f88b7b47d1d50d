import { type Cache, type VersionOpts, isolatedCopy } from '@cachework/core'

/**
 * Exclusive named locks for read-modify-write sequences. In a page or worker with the Web Locks
 * API (`navigator.locks`) the lock spans every tab and worker of the origin; without it, an
 * in-realm mutex gives the same guarantee inside one page only.
 */

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
}

const tails = new Map<string, Promise<unknown>>()

function localLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(name) ?? Promise.resolve()
  const run = prev.then(fn, fn)
  // The chain must not reject, or the next waiter would run early with the error.
  const tail = run.then(
    () => undefined,
    () => undefined,
  )
  tails.set(name, tail)
  void tail.then(() => {
    if (tails.get(name) === tail) tails.delete(name)
  })
  return run
}

/** The origin's Web Locks manager, or `undefined` where the API is missing (old browsers, Node). */
export function lockManager(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : undefined
}

/**
 * Run `fn` while holding the exclusive lock `name`: a Web Lock (origin-wide: every tab and
 * worker) when available, else an in-realm mutex. Locks are released when `fn` settles.
 */
export function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = lockManager()
  return locks ? locks.request(name, fn) : localLock(name, fn)
}

const MISSING: unique symbol = Symbol('cachework.getOrSet.missing')

/**
 * `getOrSet` (rule 9) single-flighted within the page (`flights`, keyed by raw key) and across
 * tabs: compute-and-`add` runs under the Web Lock `lockName`, re-reading the cache once the lock
 * is held, so tabs of one origin racing on a miss run the factory once in total. `compute` is
 * the backend's own compute-and-add (`BaseCache.computeAndAdd`).
 */
export async function crossTabGetOrSet<T>(
  cache: Cache,
  flights: Map<string, Promise<unknown>>,
  lockName: string,
  rawKey: string,
  key: string,
  compute: () => Promise<T>,
  opts?: VersionOpts,
): Promise<T> {
  const hit = await cache.get<T | typeof MISSING>(key, MISSING, opts)
  if (hit !== MISSING) return hit as T
  const existing = flights.get(rawKey) as Promise<T> | undefined
  if (existing !== undefined) return isolatedCopy(await existing) as T
  const p = withLock(lockName, async (): Promise<T> => {
    const again = await cache.get<T | typeof MISSING>(key, MISSING, opts)
    if (again !== MISSING) return again as T
    // The backend's compute-and-add: it snapshots tag counters before the factory runs.
    return compute()
  })
  flights.set(rawKey, p)
  const done = () => {
    if (flights.get(rawKey) === p) flights.delete(rawKey)
  }
  p.then(done, done)
  return p
}
