/**
 * memcached's binary protocol over `node:net`: one pipelined socket per server, responses
 * matched in order (and by opaque), quiet commands (`GETQ`, `SETQ`, `DELETEQ`) closed by a
 * `NOOP` so a whole batch is one round trip. Every request has a deadline: a server that never
 * answers, closes mid-request or is refused fails the pending requests with
 * `CacheUnavailableError` instead of hanging (memjs can hang forever when a server closes the connection mid-request).
 * Frame layout: https://github.com/memcached/memcached/wiki/BinaryProtocolRevamped
 */
import { connect, type Socket } from 'node:net'
import { CacheUnavailableError } from '@cachework/core'
import type { ServerAddress } from './memcached-location.ts'

/** Binary protocol opcodes used here. */
export const Op = {
  GET: 0x00,
  SET: 0x01,
  ADD: 0x02,
  DELETE: 0x04,
  INCR: 0x05,
  DECR: 0x06,
  FLUSH: 0x08,
  GETQ: 0x09,
  NOOP: 0x0a,
  SETQ: 0x11,
  DELETEQ: 0x14,
  TOUCH: 0x1c,
} as const

/** Binary protocol response statuses used here. */
export const Status = {
  OK: 0x00,
  NOT_FOUND: 0x01,
  EXISTS: 0x02,
  TOO_LARGE: 0x03,
  NOT_STORED: 0x05,
  NON_NUMERIC: 0x06,
} as const

/** One response frame. `value` is a view into the receive buffer: copy it to keep it. */
export interface Frame {
  opcode: number
  status: number
  opaque: number
  extras: Buffer
  value: Buffer
}

const EMPTY = Buffer.alloc(0)

/** Encode one request frame (24-byte header, extras, key, value). */
export function frame(
  opcode: number,
  opaque: number,
  key: string,
  extras: Buffer = EMPTY,
  value: Uint8Array = EMPTY,
): Buffer {
  const keyLen = key.length === 0 ? 0 : Buffer.byteLength(key)
  const total = extras.length + keyLen + value.length
  const b = Buffer.allocUnsafe(24 + total)
  b[0] = 0x80
  b[1] = opcode
  b.writeUInt16BE(keyLen, 2)
  b[4] = extras.length
  b[5] = 0
  b.writeUInt16BE(0, 6)
  b.writeUInt32BE(total, 8)
  b.writeUInt32BE(opaque, 12)
  b.fill(0, 16, 24)
  let o = 24
  if (extras.length) o += extras.copy(b, o)
  if (keyLen) o += b.write(key, o, 'utf8')
  if (value.length) b.set(value, o)
  return b
}

/** The largest binary response body accepted: memcached's 1 GiB item limit plus key and extras. */
const MAX_BODY_BYTES = 1024 * 1024 * 1024 + 512

/** SET/ADD extras: flags and expiration. */
export function storeExtras(flags: number, exptime: number): Buffer {
  const e = Buffer.allocUnsafe(8)
  e.writeUInt32BE(flags >>> 0, 0)
  e.writeUInt32BE(exptime >>> 0, 4)
  return e
}

/** TOUCH extras: the expiration. */
export function touchExtras(exptime: number): Buffer {
  const e = Buffer.allocUnsafe(4)
  e.writeUInt32BE(exptime >>> 0, 0)
  return e
}

/** INCR/DECR extras; expiration 0xffffffff makes a missing key fail instead of being created. */
export function incrExtras(delta: number): Buffer {
  const e = Buffer.alloc(20)
  e.writeBigUInt64BE(BigInt(delta), 0)
  e.writeUInt32BE(0xffffffff, 16)
  return e
}

interface Pending {
  /** Binary: opaque of the frame that ends this request (its own, or the batch's NOOP). */
  end: number
  deadline: number
  resolve(r: unknown): void
  reject(e: Error): void
  /** Binary: receives the quiet frames of a batch; text: receives each `VALUE` item. */
  collect: ((f: never) => void) | undefined
}

/**
 * One pipelined socket to one server, opened on first use: a FIFO of pending requests, writes
 * coalesced per microtask, a watchdog that fails everything when the oldest request is past its
 * deadline, and a short "down" period after a failure. Subclasses parse the responses.
 */
export abstract class Pipeline {
  protected socket: Socket | undefined
  private queue: Pending[] = []
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

  protected enqueue<R>(data: Buffer, end: number, collect?: (f: never) => void): Promise<R> {
    const socket = this.open()
    return new Promise<R>((resolve, reject) => {
      if (this.head === this.queue.length) socket.ref()
      this.queue.push({
        end,
        deadline: Date.now() + this.requestMs,
        resolve: resolve as (r: unknown) => void,
        reject,
        collect,
      })
      this.out.push(data)
      if (!this.flushing) {
        this.flushing = true
        queueMicrotask(this.flush)
      }
    })
  }

  /** The oldest pending request. */
  protected current(): Pending | undefined {
    return this.queue[this.head]
  }

  /** Resolve the oldest pending request. */
  protected settle(result: unknown): void {
    const p = this.queue[this.head] as Pending
    this.queue[this.head] = undefined as unknown as Pending
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
    for (const p of pending) p.reject(error)
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

/** One pipelined binary-protocol connection to one server. */
export class Connection extends Pipeline {
  private opaque = 0

  /** Reserve `n` consecutive opaques and return the first. */
  nextOpaque(n = 1): number {
    const first = this.opaque
    this.opaque = (this.opaque + n) >>> 0
    return first
  }

  /**
   * Send encoded frames whose last non-quiet response has opaque `end`; resolves with that
   * response, passing earlier (quiet) responses to `collect`.
   */
  send(data: Buffer, end: number, collect?: (f: Frame) => void): Promise<Frame> {
    return this.enqueue<Frame>(data, end, collect as (f: never) => void)
  }

  /** One request frame; resolves with its response. */
  request(opcode: number, key: string, extras?: Buffer, value?: Uint8Array): Promise<Frame> {
    const opaque = this.nextOpaque()
    return this.send(frame(opcode, opaque, key, extras, value), opaque)
  }

  protected parse(buf: Buffer, s: Socket): number {
    let off = 0
    while (buf.length - off >= 24) {
      if (buf[off] !== 0x81) {
        this.protocolError('the server sent bytes that are not a binary-protocol response')
        return buf.length
      }
      const bodyLen = buf.readUInt32BE(off + 8)
      const extLen = buf[off + 4] as number
      const keyLen = buf.readUInt16BE(off + 2)
      // Every length is checked before it is trusted (doc/protocol-binary.txt): a body past
      // memcached's 1 GiB item limit, or shorter than its extras and key, is a protocol error.
      if (bodyLen > MAX_BODY_BYTES || extLen + keyLen > bodyLen) {
        this.protocolError(
          `a binary frame with impossible lengths (body ${bodyLen}, extras ${extLen}, key ${keyLen})`,
        )
        return buf.length
      }
      if (buf.length - off < 24 + bodyLen) break
      const start = off + 24
      const f: Frame = {
        opcode: buf[off + 1] as number,
        status: buf.readUInt16BE(off + 6),
        opaque: buf.readUInt32BE(off + 12),
        extras: buf.subarray(start, start + extLen),
        value: buf.subarray(start + extLen + keyLen, start + bodyLen),
      }
      off = start + bodyLen
      const p = this.current()
      if (p) {
        if (f.opaque === p.end) this.settle(f)
        else (p.collect as ((f: Frame) => void) | undefined)?.(f)
      }
      if (this.socket !== s) return buf.length
    }
    const left = buf.length - off
    this.need = left >= 24 ? 24 + buf.readUInt32BE(off + 8) : 24
    return off
  }
}
