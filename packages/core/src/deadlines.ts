/**
 * Rule 15's deadline (docs/contract.md: a call answers within the backend's `timeoutMs`) with
 * one timer per cache instead of a `setTimeout`/`clearTimeout` pair per call: in a busy
 * Chromium renderer that pair cost an IndexedDB `set` about 40 µs, more than the rest of the
 * cache's own work. Pending calls sit in a Map in start order, so their deadlines (start +
 * `timeoutMs`) are in order too; the one timer is armed for the earliest, and when it fires it
 * fails the calls past their deadline and re-arms for the next. Every call fails at its own
 * deadline; the timer never keeps a Node process alive.
 */
import { CacheUnavailableError } from './errors.ts'

/** The longest delay `setTimeout` takes (2^31 - 1 ms); a larger `timeoutMs` never fires. */
const MAX_DELAY_MS = 2 ** 31 - 1

interface Pending {
  at: number
  what: string
  fail(e: CacheUnavailableError): void
}

/** Options of {@link CallDeadlines}. */
export interface CallDeadlineOptions {
  /**
   * Runs the failing of the calls found past their deadline; each is failed only if still
   * pending then. Node's `setImmediate` lets a reply that waited unread while the event loop
   * was busy answer first (the redis backend). Default: at once.
   */
  settleFirst?: (fail: () => void) => void
  /** What an op's own rejection becomes. Default: unchanged. */
  convert?: (error: unknown, what: string) => unknown
}

/** Calls of one cache under its `timeoutMs`, on one timer. */
export class CallDeadlines {
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  /** `ms`: every call's deadline; `label`: the cache in messages (`indexeddb cache 'default'`). */
  constructor(
    private readonly ms: number,
    private readonly label: string,
    private readonly opts: CallDeadlineOptions = {},
  ) {}

  /** `op`, or `CacheUnavailableError` once `ms` has passed without it settling. */
  run<T>(op: Promise<T>, what: string): Promise<T> {
    const convert = this.opts.convert
    if (!(this.ms < MAX_DELAY_MS))
      return convert ? op.catch((e: unknown) => Promise.reject(convert(e, what))) : op
    return new Promise<T>((resolve, reject) => {
      const id = this.start(what, reject)
      op.then(
        (v) => {
          this.pending.delete(id)
          resolve(v)
        },
        (e) => {
          this.pending.delete(id)
          reject(convert ? convert(e, what) : e)
        },
      )
    })
  }

  /**
   * Start one call's deadline without a promise of its own (a backend's fast path settles its
   * caller's promise itself): `fail` runs with `CacheUnavailableError` if `done(id)` has not
   * been called within `ms`. Returns the call's id (0: no deadline, `ms` too large to arm).
   */
  start(what: string, fail: (e: CacheUnavailableError) => void): number {
    if (!(this.ms < MAX_DELAY_MS)) return 0
    const id = ++this.seq
    const at = performance.now() + this.ms
    this.pending.set(id, { at, what, fail })
    if (this.timer === undefined) this.arm(at)
    return id
  }

  /** The call `id` has its answer: false when its deadline had already failed it (drop the answer). */
  done(id: number): boolean {
    return id === 0 || this.pending.delete(id)
  }

  private arm(at: number): void {
    const t = setTimeout(() => this.expire(), Math.max(0, at - performance.now()))
    ;(t as { unref?: () => void }).unref?.()
    this.timer = t
  }

  private expire(): void {
    this.timer = undefined
    const now = performance.now()
    const due: number[] = []
    for (const [id, p] of this.pending) {
      if (p.at > now) {
        this.arm(p.at)
        break
      }
      due.push(id)
    }
    if (due.length === 0) return
    const fail = () => {
      for (const id of due) {
        const p = this.pending.get(id)
        if (p === undefined) continue
        this.pending.delete(id)
        p.fail(new CacheUnavailableError(`${this.label} did not answer ${p.what} within ${this.ms} ms`))
      }
    }
    if (this.opts.settleFirst) this.opts.settleFirst(fail)
    else fail()
  }
}
