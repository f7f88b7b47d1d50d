/**
 * A cross-process lock for the `file` backend's read-modify-write operations (`incr`, `touch`,
 * `incrVersion`). Django takes `fcntl.flock` in `touch` only and leaves `incr` racy
 * (django/core/cache/backends/filebased.py); Node has no flock, so this is a lock file created with `O_EXCL`
 * (`wx`), which is atomic on local filesystems. A lock left by a dead process is broken.
 */
import { readFileSync, statSync, unlinkSync } from 'node:fs'
import { CacheUnavailableError } from '@cachework/core'
import { createExclusive, goneOnThisHost, host } from './file-fs.ts'

/** A lock older than this is broken even when its owner cannot be checked (other host). */
export const STALE_LOCK_MS = 10_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Whether the lock at `path` was left by a process that is gone (or is very old). */
function isStale(path: string): boolean {
  try {
    const [pid, owner] = readFileSync(path, 'utf8').split(' ')
    if (owner !== undefined && pid !== undefined && /^\d+$/.test(pid) && goneOnThisHost(Number(pid), owner))
      return true
    return Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS
  } catch {
    // Released meanwhile (ENOENT), or written but still empty: try again rather than break it.
    return false
  }
}

function tryAcquire(path: string): boolean {
  return createExclusive(path, `${process.pid} ${host}`)
}

/**
 * Run `fn` holding the lock file `path`. Waits with capped exponential backoff and jitter (no
 * busy spin) until `deadline` (epoch ms), then rejects with `CacheUnavailableError`. `fn` runs
 * synchronously so the lock is held for as short a time as possible.
 */
export async function withFileLock<T>(path: string, deadline: number, fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (tryAcquire(path)) break
    if (isStale(path)) {
      try {
        unlinkSync(path)
      } catch {
        // Someone else broke it first.
      }
      continue
    }
    if (Date.now() >= deadline) {
      throw new CacheUnavailableError(
        `Could not lock '${path}' in time: another process holds it. If none does, delete the file.`,
      )
    }
    await sleep(Math.min(4, 2 ** Math.min(attempt, 4) / 4) * (0.5 + Math.random()))
  }
  try {
    return fn()
  } finally {
    try {
      unlinkSync(path)
    } catch {
      // Already broken as stale by another process: nothing left to release.
    }
  }
}

/**
 * `withFileLock`, queued per lock in this process (`queues`), so concurrent callers here wait
 * in memory instead of polling the lock file.
 */
export function queuedFileLock<T>(
  queues: Map<string, Promise<unknown>>,
  path: string,
  deadline: number,
  fn: () => T,
): Promise<T> {
  // `prev` never rejects: it is the previous call's `settled`.
  const prev = queues.get(path) ?? Promise.resolve()
  const run = prev.then(() => withFileLock(path, deadline, fn))
  const settled = run.then(
    () => undefined,
    () => undefined,
  )
  queues.set(path, settled)
  settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path)
  })
  return run
}
