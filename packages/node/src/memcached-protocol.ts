/**
 * memcached's binary protocol: encoding request frames, parsing response frames, and the
 * binary connection (a `Pipeline` of frames, memcached-pipeline.ts): responses matched in order
 * (and by opaque), quiet commands (`GETQ`, `SETQ`, `DELETEQ`) closed by a `NOOP` so a whole
 * batch is one round trip.
 * Frame layout: https://github.com/memcached/memcached/wiki/BinaryProtocolRevamped
 */
import type { Socket } from 'node:net'
import { Pipeline } from './memcached-pipeline.ts'

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

/** One pipelined binary-protocol connection to one server. */
export class Connection extends Pipeline<Frame, Frame> {
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
    return this.enqueue(data, end, collect)
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
        else p.collect?.(f)
      }
      if (this.socket !== s) return buf.length
    }
    const left = buf.length - off
    this.need = left >= 24 ? 24 + buf.readUInt32BE(off + 8) : 24
    return off
  }
}
