/**
 * The pipelined socket both memcached protocols share (binary frames, memcached-protocol.ts;
 * text `get`, memcached-text.ts): one socket per server, opened on first use, a FIFO of pending
 * requests answered in order. Every request has a deadline: a server that never answers, closes
 * mid-request or is refused fails the pending requests with `CacheUnavailableError` instead of
 * hanging (memjs can hang forever when a server closes the connection mid-request).
 */
import { connect, type Socket } from 'node:net'
import { CacheUnavailableError } from '@cachework/core'
import type { ServerAddress } from './memcached-location.ts'

/** One request waiting for its answer; `Item` is what the protocol parses, `Result` what it resolves with. */
export interface Pending<Item, Result> {
  /** Binary: opaque of the frame that ends this request (its own, or the batch's NOOP). */
  end: number
  deadline: number
  resolve(r: Result): void
  reject(e: Error): void
  /** Binary: receives the quiet frames of a batch; text: receives each `VALUE` item. */
  collect: ((item: Item) => void) | undefined
}

/**
 * One pipelined socket to one server, opened on first use: a FIFO of pending requests, writes
 * coalesced per microtask, a watchdog that fails everything when the oldest request is past its
 * deadline, and a short "down" period after a failure. Subclasses parse the responses into
 * `Item`s (handed to the pending request's `collect`) and settle requests with a `Result`.
 */
export abstract class Pipeline<Item, Result> {
  protected socket: Socket | undefined
  private queue: Array<Pending<Item, Result> | undefined> = []
  private head = 0
  private out: Buffer[] = []
  private flushing = false
  private rest: Buffer | undefined
  private restChunks: Buffer[] = []
  private restLen = 0
  /** How many bytes the partial response in `rest` needs before parsing can go on. */
  protected need = 0
  private watchdog: ReturnType<typeof setInterval> | undefined
  /** Until when (epoch ms) a failed server is skipped without trying to connect. */
  private downUntil = 0
  private lastError: Error | undefined

  /**
   * `requestMs` bounds each request; `retryMs` is how long a server that failed is skipped
   * before the next attempt to reconnect.
   */
  constructor(
    readonly server: ServerAddress,
    private readonly requestMs: number,
    private readonly retryMs: number,
  ) {}

  /** Parse complete responses from `buf` (dispatching them); return the bytes consumed. */
  protected abstract parse(buf: Buffer, s: Socket): number

  /** Queue `data` (written with the other requests of this microtask); resolves when it is settled. */
  protected enqueue(data: Buffer, end: number, collect?: (item: Item) => void): Promise<Result> {
    const socket = this.open()
    return new Promise<Result>((resolve, reject) => {
      if (this.head === this.queue.length) socket.ref()
      this.queue.push({ end, deadline: Date.now() + this.requestMs, resolve, reject, collect })
      this.out.push(data)
      if (!this.flushing) {
        this.flushing = true
        queueMicrotask(this.flush)
      }
    })
  }

  /** The oldest pending request. */
  protected current(): Pending<Item, Result> | undefined {
    return this.queue[this.head]
  }

  /** Resolve the oldest pending request. */
  protected settle(result: Result): void {
    const p = this.queue[this.head]
    if (p === undefined) return
    this.queue[this.head] = undefined
    this.head++
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
      this.socket?.unref()
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    p.resolve(result)
  }

  /** Close the socket; pending requests fail, and the next request reconnects. */
  close(): void {
    this.downUntil = 0
    this.fail(new CacheUnavailableError(`memcached ${this.server.name}: connection closed by close()`), false)
  }

  private readonly flush = (): void => {
    this.flushing = false
    const s = this.socket
    const out = this.out
    this.out = []
    if (s && out.length) s.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out))
  }

  private open(): Socket {
    if (this.socket) return this.socket
    if (Date.now() < this.downUntil) {
      throw new CacheUnavailableError(
        `memcached ${this.server.name} is unreachable (${this.lastError?.message ?? 'failed'}); retrying after ${this.retryMs} ms`,
        { cause: this.lastError },
      )
    }
    const { host, port, path } = this.server
    const s = path ? connect({ path }) : connect({ host: host as string, port: port as number })
    s.setNoDelay(true)
    s.unref()
    this.socket = s
    this.rest = undefined
    this.restChunks = []
    s.on('data', (chunk: Buffer) => this.onData(s, chunk))
    s.on('error', (e) => {
      this.lastError = e
    })
    s.on('close', () => {
      if (this.socket !== s) return
      const why = this.lastError?.message ?? 'the server closed the connection'
      this.fail(
        new CacheUnavailableError(`memcached ${this.server.name}: ${why}`, { cause: this.lastError }),
        true,
      )
    })
    const tick = Math.max(5, Math.min(100, this.requestMs / 10))
    this.watchdog = setInterval(this.checkDeadlines, tick)
    this.watchdog.unref()
    return s
  }

  private readonly checkDeadlines = (): void => {
    const p = this.queue[this.head]
    if (p && p.deadline <= Date.now()) {
      this.lastError = new Error(`no answer within ${this.requestMs} ms`)
      this.fail(
        new CacheUnavailableError(`memcached ${this.server.name} did not answer within ${this.requestMs} ms`),
        true,
      )
    }
  }

  /** The server spoke something this client cannot parse: drop the connection. */
  protected protocolError(what: string): void {
    this.lastError = new Error(what)
    this.fail(new CacheUnavailableError(`memcached ${this.server.name}: ${what}`), true)
  }

  /** Drop the socket and reject everything pending; `markDown` skips the server for `retryMs`. */
  private fail(error: Error, markDown: boolean): void {
    const s = this.socket
    this.socket = undefined
    this.rest = undefined
    this.restChunks = []
    if (this.watchdog) clearInterval(this.watchdog)
    this.watchdog = undefined
    if (s) s.destroy()
    if (markDown) this.downUntil = Date.now() + this.retryMs
    const pending = this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    this.out = []
    for (const p of pending) p?.reject(error)
  }

  private onData(s: Socket, chunk: Buffer): void {
    if (this.socket !== s) return
    this.lastError = undefined
    this.downUntil = 0
    // A partial response waits in `rest` until `need` bytes are there, so a large value that
    // arrives in many chunks is copied once, not once per chunk.
    if (this.rest) {
      this.restChunks.push(chunk)
      this.restLen += chunk.length
      if (this.restLen < this.need) return
      chunk = Buffer.concat(this.restChunks, this.restLen)
      this.rest = undefined
      this.restChunks = []
    }
    const off = this.parse(chunk, s)
    if (this.socket !== s) return
    if (off < chunk.length) {
      const rest = chunk.subarray(off)
      this.rest = rest
      this.restChunks = [rest]
      this.restLen = rest.length
    }
  }
}
