import type { Cache, GetOrSetOptions, Timeout, VersionOpts } from '@cachework/core'
import { isolatedCopy } from '@cachework/core/backend'

/**
 * Exclusive named locks for read-modify-write sequences. In a page or worker with the Web Locks
 * API (`navigator.locks`) the lock spans every tab and worker of the origin; without it, an
 * in-realm mutex gives the same guarantee inside one page only.
 */

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
  request<T>(
    name: string,
    options: { ifAvailable: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>
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
 * is held, so tabs of one origin racing on a miss run the factory once in total.
 */
export async function crossTabGetOrSet<T>(
  cache: Cache,
  /** A read that counts no hit or miss (`BaseCache.getQuietly`), for the re-reads. */
  quiet: (key: string, opts?: VersionOpts) => Promise<{ value: unknown } | undefined>,
  flights: Map<string, Promise<unknown>>,
  lockName: string,
  rawKey: string,
  key: string,
  defaultValue: T | (() => T | Promise<T>),
  timeout?: Timeout,
  opts?: VersionOpts,
): Promise<T> {
  const hit = await cache.get<T | typeof MISSING>(key, MISSING, opts)
  if (hit !== MISSING) return hit as T
  const existing = flights.get(rawKey) as Promise<T> | undefined
  if (existing !== undefined) return isolatedCopy(await existing) as T
  const p = withLock(lockName, async (): Promise<T> => {
    // Re-reads count nothing: this call already counted its miss (rule 13).
    const again = await quiet(key, opts)
    if (again !== undefined) return again.value as T
    const value =
      typeof defaultValue === 'function' ? await (defaultValue as () => T | Promise<T>)() : defaultValue
    await cache.add(key, value as unknown, timeout, opts)
    // Django re-reads after add, so a concurrent writer's value wins (django/core/cache/backends/base.py).
    const now = await quiet(key, opts)
    return (now === undefined ? value : now.value) as T
  })
  flights.set(rawKey, p)
  const done = () => {
    if (flights.get(rawKey) === p) flights.delete(rawKey)
  }
  p.then(done, done)
  return p
}

/** Whether `getOrSet` options ask for rule 16's machinery (docs/contract.md rule 16). */
export function usesStampedeOptions(opts: GetOrSetOptions | undefined): boolean {
  return (
    opts !== undefined &&
    (opts.lock !== undefined ||
      opts.staleWhileRevalidate !== undefined ||
      opts.staleIfError !== undefined ||
      opts.beta !== undefined ||
      // Tags (docs/contract.md rule 17) need core's compute path: counters read before the factory.
      opts.tags !== undefined)
  )
}

/**
 * The options a browser backend hands to core's `getOrSet` (docs/contract.md rules 9, 16, 17):
 * a tagged call with no stampede option keeps the cross-tab single flight an untagged one has,
 * as `lock: 'distributed'` on the backend's Web Locks leases; anything else is passed as given.
 */
export function crossTabDefault(opts: GetOrSetOptions | undefined): GetOrSetOptions | undefined {
  if (
    opts?.tags === undefined ||
    opts.lock !== undefined ||
    opts.staleWhileRevalidate !== undefined ||
    opts.staleIfError !== undefined ||
    opts.beta !== undefined
  )
    return opts
  return { ...opts, lock: 'distributed' }
}

/** What `tryWebLock` answers where the Web Locks API is missing. */
export const NO_WEB_LOCKS: unique symbol = Symbol('cachework.noWebLocks')

/**
 * Take the Web Lock `name` only if it is free (`ifAvailable`), for a lease (rule 16): resolves
 * with the function that releases it, `undefined` when another tab or worker holds it, or
 * `NO_WEB_LOCKS`. The browser releases the lock by itself when the holding tab goes away.
 */
export function tryWebLock(name: string): Promise<(() => void) | undefined | typeof NO_WEB_LOCKS> {
  const locks = lockManager()
  if (!locks) return Promise.resolve(NO_WEB_LOCKS)
  return new Promise((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(undefined)
          return Promise.resolve()
        }
        return new Promise<void>((release) => resolve(() => release()))
      })
      .catch(reject)
  })
}

/**
 * Leases on Web Locks for a browser backend (rule 16): `acquire` gives a token while this realm
 * holds the lock, released by `release` or after `ttlMs`, whichever comes first.
 */
export class WebLockLeases {
  private readonly held = new Map<string, { release: () => void; timer: ReturnType<typeof setTimeout> }>()

  constructor(private readonly prefix: string) {}

  /** A token, `undefined` (held elsewhere), or `NO_WEB_LOCKS` (use the backend's default). */
  async acquire(
    rawKey: string,
    ttlMs: number,
    token: string,
  ): Promise<string | undefined | typeof NO_WEB_LOCKS> {
    const got = await tryWebLock(`${this.prefix}${rawKey}`)
    if (got === NO_WEB_LOCKS || got === undefined) return got
    const timer = setTimeout(() => this.release(token), ttlMs)
    this.held.set(token, { release: got, timer })
    return token
  }

  /** Release a lease this realm holds; `false` when the token is not one of ours. */
  release(token: string): boolean {
    const h = this.held.get(token)
    if (!h) return false
    this.held.delete(token)
    clearTimeout(h.timer)
    h.release()
    return true
  }
}
