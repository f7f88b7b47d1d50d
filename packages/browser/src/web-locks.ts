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
