/**
 * Rule 15's deadline (docs/contract.md: a call answers within the backend's `timeoutMs`) for the
 * browser backends, with one timer per cache instead of a `setTimeout`/`clearTimeout` pair per
 * call: in a busy Chromium renderer that pair cost an IndexedDB `set` about 40 µs, more than the
 * rest of the cache's own work. Pending calls sit in a Map in start order, so their deadlines
 * (start + `timeoutMs`) are in order too; the one timer is armed for the earliest, and when it
 * fires it rejects the calls past their deadline and re-arms for the next. Every call still
 * fails at its own deadline.
 */
import { CacheUnavailableError } from '@cachework/core'

/** The longest delay `setTimeout` takes (2^31 - 1 ms); a larger `timeoutMs` never fires. */
const MAX_DELAY_MS = 2 ** 31 - 1

interface Pending {
  at: number
  what: string
  reject(e: unknown): void
}

/** Calls of one cache under its `timeoutMs`. */
export class CallDeadlines {
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  /** `ms`: the deadline of every call; `label`: the cache in messages (`indexeddb cache 'default'`). */
  constructor(
    private readonly ms: number,
    private readonly label: string,
  ) {}

  /** `op`, or `CacheUnavailableError` once `ms` has passed without it settling. */
  run<T>(op: Promise<T>, what: string): Promise<T> {
    if (!(this.ms < MAX_DELAY_MS)) return op
    return new Promise<T>((resolve, reject) => {
      const id = ++this.seq
      const at = performance.now() + this.ms
      this.pending.set(id, { at, what, reject })
      if (this.timer === undefined) this.arm(at)
      op.then(
        (v) => {
          this.pending.delete(id)
          resolve(v)
        },
        (e) => {
          this.pending.delete(id)
          reject(e)
        },
      )
    })
  }

  private arm(at: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - performance.now()))
  }

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    for (const [id, p] of this.pending) {
      if (p.at > now) {
        this.arm(p.at)
        return
      }
      this.pending.delete(id)
      p.reject(new CacheUnavailableError(`${this.label} did not answer ${p.what} within ${this.ms} ms`))
    }
  }
}
