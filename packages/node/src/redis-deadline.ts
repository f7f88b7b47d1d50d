/**
 * Rule 15 for the `redis` backend (docs/contract.md): every call settles within `timeoutMs`,
 * and whatever node-redis rejects with (connection closed, offline, an error reply such as
 * `LOADING`, `READONLY` or `CLUSTERDOWN`) becomes `CacheUnavailableError`, which `BaseCache`
 * turns into a miss for reads and a rejection (or `false`) for writes.
 *
 * One watchdog timer per cache replaces a timer per call: pending calls sit in a Map in start
 * order, and each tick rejects those past their deadline, so the hot path pays a Map insert and
 * delete instead of a `setTimeout`/`clearTimeout` pair. A call past its deadline fails only
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

interface Pending {
  at: number
  what: string
  reject(e: unknown): void
}

/** Calls under a deadline of `ms`, checked every `min(50, ms / 4)` ms. */
export class Deadlines {
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly tickMs: number

  constructor(
    private readonly ms: number,
    private readonly label: string,
  ) {
    this.tickMs = Math.max(1, Math.min(50, Math.floor(ms / 4)))
  }

  /** `op`, settled by `ms` at the latest (then rejecting `CacheUnavailableError`), its errors converted. */
  run<T>(op: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = ++this.seq
      this.pending.set(id, { at: performance.now() + this.ms, what, reject })
      if (this.timer === undefined) this.start()
      op.then(
        (v) => {
          this.pending.delete(id)
          resolve(v)
        },
        (e) => {
          this.pending.delete(id)
          reject(toCacheError(e, this.label, what))
        },
      )
    })
  }

  private start(): void {
    this.timer = setInterval(() => this.tick(), this.tickMs)
    this.timer.unref?.()
  }

  private tick(): void {
    const now = performance.now()
    const due: number[] = []
    for (const [id, p] of this.pending) {
      if (p.at > now) break
      due.push(id)
    }
    if (due.length > 0) {
      // Timers run before the poll phase that reads sockets: after the event loop was busy
      // (a long synchronous task, a GC pause, a starved process) the reply may be waiting
      // unread. Let that phase run first, and fail only the calls still unanswered after it.
      setImmediate(() => {
        for (const id of due) {
          const p = this.pending.get(id)
          if (p === undefined) continue
          this.pending.delete(id)
          p.reject(new CacheUnavailableError(`${this.label} did not answer ${p.what} within ${this.ms} ms`))
        }
        this.stopWhenIdle()
      })
      return
    }
    this.stopWhenIdle()
  }

  private stopWhenIdle(): void {
    if (this.pending.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
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
