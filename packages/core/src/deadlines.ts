/**
 * Rule 15's deadline (docs/contract.md: a call answers within the backend's `timeoutMs`) with
 * one timer per cache instead of a `setTimeout`/`clearTimeout` pair per call: in a busy
 * Chromium renderer that pair cost an IndexedDB `set` about 40 µs, more than the rest of the
 * cache's own work. Pending calls sit in a ring in start order, so their deadlines (start +
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
  /**
   * Pending calls in start order, in a ring indexed by call id (`id & mask`): slots
   * `head`…`seq`, a slot emptied when its call settles. Not a Map: with one insert and one
   * delete per call, a Map's table is reallocated as it grows and shrinks around each burst,
   * and in the redis bench (64 calls in flight) that kept each call's promise graph alive
   * through scavenges into the old space (`--trace-gc`: ~3 MB promoted per scavenge, 5-8 ms
   * scavenges instead of 0.6 ms, and a mark-compact every ~20).
   */
  private slots: Array<Pending | undefined> = new Array(16)
  private mask = 15
  /** The oldest id whose slot may still be full. */
  private head = 1
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
          this.done(id)
          resolve(v)
        },
        (e) => {
          this.done(id)
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
    if (id - this.head > this.mask) this.grow()
    const at = performance.now() + this.ms
    this.slots[id & this.mask] = { at, what, fail }
    if (this.timer === undefined) this.arm(at)
    return id
  }

  /** The call `id` has its answer: false when its deadline had already failed it (drop the answer). */
  done(id: number): boolean {
    if (id === 0) return true
    if (id < this.head || id > this.seq) return false
    const i = id & this.mask
    if (this.slots[i] === undefined) return false
    this.slots[i] = undefined
    if (id === this.head) this.advance()
    return true
  }

  /** Move `head` past the settled calls at the front. */
  private advance(): void {
    const seq = this.seq
    let h = this.head
    while (h <= seq && this.slots[h & this.mask] === undefined) h++
    this.head = h
    // Empty after a burst that grew the ring past 1,024 slots (a slow call held the head):
    // back to 16, so one slow call does not keep a large ring for the life of the cache.
    if (h > seq && this.mask > 1023) {
      this.slots = new Array(16)
      this.mask = 15
    }
  }

  /** Double the ring, each pending call moved to its slot under the new mask. */
  private grow(): void {
    const mask = this.mask * 2 + 1
    const slots: Array<Pending | undefined> = new Array(mask + 1)
    for (let id = this.head; id < this.seq; id++) slots[id & mask] = this.slots[id & this.mask]
    this.slots = slots
    this.mask = mask
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
    for (let id = this.head; id <= this.seq; id++) {
      const p = this.slots[id & this.mask]
      if (p === undefined) continue
      if (p.at > now) {
        this.arm(p.at)
        break
      }
      due.push(id)
    }
    if (due.length === 0) return
    const fail = () => {
      for (const id of due) {
        const i = id & this.mask
        const p = this.slots[i]
        if (p === undefined || id < this.head) continue
        this.done(id)
        p.fail(new CacheUnavailableError(`${this.label} did not answer ${p.what} within ${this.ms} ms`))
      }
    }
    if (this.opts.settleFirst) this.opts.settleFirst(fail)
    else fail()
  }
}
