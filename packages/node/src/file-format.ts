/**
 * The on-disk format of the `file` backend. Django writes `pickle(expiry)` then
 * `zlib(pickle(value))` (django/core/cache/backends/filebased.py), which runs code when loaded; ours is a fixed
 * binary header, the made key (so `entries()` can list keys: file names are md5 digests), and
 * core's text codec as UTF-8. A CRC-32 over everything after it means a torn or tampered file
 * reads as a miss, never as wrong data.
 *
 * ```
 * 0  u32 magic 'CWC1'   4  u32 crc32 of bytes 8..end   8  f64 expiry (epoch ms, -1 = never)
 * 16 u32 key length     20 u32 body length             24 key (UTF-8)  …  body (UTF-8 codec text)
 * ```
 */
import { createHash } from 'node:crypto'
import { closeSync, openSync, readdirSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { code } from './file-fs.ts'

const MAGIC = 0x43574331
/** Bytes before the key. */
export const HEADER_SIZE = 24
/** File name suffix, as Django's (`clear()` and culling touch only these files). */
export const SUFFIX = '.djcache'
const NEVER = -1

/** A parsed file; `body` is the codec's UTF-8 text. */
export interface FileEntry {
  rawKey: string
  expiresAt: number | null
  body: Uint8Array
}

/** What culling needs: the key and expiry, without reading the value. */
export interface FileHeader {
  rawKey: string
  expiresAt: number | null
}

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

/**
 * Django's file name: md5 of the made key, hex, plus `.djcache` (django/core/cache/backends/filebased.py). md5 from
 * `node:crypto` (OpenSSL, native) rather than `@noble/hashes`: it is several times faster for
 * short keys, and this file only runs in Node anyway.
 */
export function fileNameFor(rawKey: string): string {
  return createHash('md5').update(rawKey).digest('hex') + SUFFIX
}

/** Serialise one entry. */
export function encodeEntry(rawKey: string, body: Uint8Array, expiresAt: number | null): Buffer {
  const key = enc.encode(rawKey)
  const buf = Buffer.allocUnsafe(HEADER_SIZE + key.length + body.length)
  buf.writeUInt32BE(MAGIC, 0)
  buf.writeDoubleBE(expiresAt ?? NEVER, 8)
  buf.writeUInt32BE(key.length, 16)
  buf.writeUInt32BE(body.length, 20)
  buf.set(key, HEADER_SIZE)
  buf.set(body, HEADER_SIZE + key.length)
  buf.writeUInt32BE(crc32(buf.subarray(8)), 4)
  return buf
}

/** Parse a whole file; `undefined` when it is truncated, corrupt or not ours. */
export function decodeEntry(buf: Uint8Array): FileEntry | undefined {
  if (buf.length < HEADER_SIZE) return undefined
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length)
  if (b.readUInt32BE(0) !== MAGIC) return undefined
  const keyLen = b.readUInt32BE(16)
  const bodyLen = b.readUInt32BE(20)
  if (HEADER_SIZE + keyLen + bodyLen !== b.length) return undefined
  if (crc32(b.subarray(8)) !== b.readUInt32BE(4)) return undefined
  try {
    const rawKey = dec.decode(b.subarray(HEADER_SIZE, HEADER_SIZE + keyLen))
    return { rawKey, expiresAt: expiryAt(b), body: b.subarray(HEADER_SIZE + keyLen) }
  } catch {
    return undefined
  }
}

function expiryAt(b: Buffer): number | null {
  const e = b.readDoubleBE(8)
  return e === NEVER ? null : e
}

const headBuf = Buffer.allocUnsafe(HEADER_SIZE + 1024)

/**
 * Read the key and expiry of a file without its value (culling, `has`, `delete`). Throws the
 * fs error (ENOENT when missing); `undefined` when the header is not ours. The CRC is not
 * checked here: a torn file is caught when its value is read.
 */
export function readHeader(path: string): FileHeader | undefined {
  const fd = openSync(path, 'r')
  try {
    const n = readSync(fd, headBuf, 0, headBuf.length, 0)
    if (n < HEADER_SIZE || headBuf.readUInt32BE(0) !== MAGIC) return undefined
    const keyLen = headBuf.readUInt32BE(16)
    let keyBytes: Buffer
    if (HEADER_SIZE + keyLen <= n) keyBytes = headBuf.subarray(HEADER_SIZE, HEADER_SIZE + keyLen)
    else {
      if (keyLen > 1 << 20) return undefined
      keyBytes = Buffer.allocUnsafe(keyLen)
      if (readSync(fd, keyBytes, 0, keyLen, HEADER_SIZE) !== keyLen) return undefined
    }
    try {
      return { rawKey: dec.decode(keyBytes), expiresAt: expiryAt(headBuf) }
    } catch {
      return undefined
    }
  } finally {
    closeSync(fd)
  }
}

/** The names in `dir`; none when it does not exist yet. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (e) {
    if (code(e) === 'ENOENT') return []
    throw e
  }
}

/** Key and expiry of every cache file in `dir` (culls only: they are rare). Unreadable ones count as expired. */
export function readHeaders(dir: string): Array<FileHeader & { name: string }> {
  const out: Array<FileHeader & { name: string }> = []
  for (const name of listDir(dir)) {
    if (!name.endsWith(SUFFIX)) continue
    try {
      const h = readHeader(join(dir, name))
      out.push(h ? { name, ...h } : { name, rawKey: name, expiresAt: 0 })
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e
    }
  }
  return out
}
