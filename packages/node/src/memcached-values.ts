/**
 * How values are stored in memcached (docs/contract.md rule 12), following pymemcache 3.5's `serde.py`
 * flags so Django's `PyMemcacheCache` and cachework read each other's strings and integers:
 * `FLAG_BYTES = 0`, `FLAG_PICKLE = 1`, `FLAG_INTEGER = 2`, `FLAG_LONG = 4`, `FLAG_TEXT = 16`.
 * Everything else uses cachework's codec under `FLAG_CACHEWORK`. Pickle is never loaded.
 */
import { isAscii } from 'node:buffer'
import { decodeValueBytes, encodeValueBytes } from '@cachework/core/backend'

/** Raw bytes (pymemcache `FLAG_BYTES`). */
export const FLAG_BYTES = 0
/** A Python pickle (pymemcache `FLAG_PICKLE`): never unpickled, read as a miss. */
export const FLAG_PICKLE = 1
/** An integer as decimal text (pymemcache `FLAG_INTEGER`), so memcached's INCR/DECR work on it. */
export const FLAG_INTEGER = 2
/** A Python 2 long as decimal text (pymemcache `FLAG_LONG`); read as a `bigint`. */
export const FLAG_LONG = 4
/** UTF-8 text (pymemcache `FLAG_TEXT`). */
export const FLAG_TEXT = 16
/** cachework's own codec (`encodeValueBytes`), a flag no other memcached client uses. */
export const FLAG_CACHEWORK = 0x20000

/** An encoded value ready to send. */
export interface Encoded {
  flags: number
  data: Uint8Array
}

/**
 * Text memcached's INCR/DECR would take for a number: its `safe_strtoull` (memcached.c) accepts
 * leading white space, a sign, digits followed by anything after a space, and even no digits at
 * all before the item's `\r\n` (`""`, `" "` count as 0). Strings and bytes like these go through
 * the codec, so `incr` of a stored string or bytes rejects with `TypeError` here as on every
 * other backend (docs/contract.md rule 12), instead of adding to its digits.
 */
const MEMCACHED_NUMERIC = /^(?:$|\s|[+-]?\d)/

/** Encode a value; throws `TypeError` for functions and symbols (rule 12). */
export function encodeMemcachedValue(value: unknown): Encoded {
  if (typeof value === 'string') {
    // UTF-8 cannot carry a lone surrogate (it would read back as U+FFFD): such a string goes
    // through the codec, which escapes it, so it round-trips exactly (rule 12).
    if (!LONE_SURROGATE.test(value) && !MEMCACHED_NUMERIC.test(value)) {
      return { flags: FLAG_TEXT, data: Buffer.from(value, 'utf8') }
    }
    return { flags: FLAG_CACHEWORK, data: encodeValueBytes(value) }
  }
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) {
    return { flags: FLAG_INTEGER, data: Buffer.from(String(value), 'latin1') }
  }
  if (typeof value === 'bigint') return { flags: FLAG_LONG, data: Buffer.from(value.toString(), 'latin1') }
  if (
    value instanceof Uint8Array &&
    (value.constructor === Uint8Array || Buffer.isBuffer(value)) &&
    // A view over shared memory goes to the codec, which rejects it like every backend (rule 12).
    !(value.buffer instanceof SharedArrayBuffer) &&
    !MEMCACHED_NUMERIC.test(
      Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, 2)).toString('latin1'),
    )
  ) {
    // Copy: the caller may mutate its buffer before the socket writes it (rule 12 isolation).
    return { flags: FLAG_BYTES, data: Uint8Array.prototype.slice.call(value) }
  }
  return { flags: FLAG_CACHEWORK, data: encodeValueBytes(value) }
}

/** What `decodeMemcachedValue` returns for bytes it will not or cannot read. */
export const UNREADABLE: unique symbol = Symbol('cachework.memcached.unreadable')

// Decimal integers; a Python long (FLAG_LONG) may be far longer than 20 digits.
const INTEGER = /^-?\d{1,10000}$/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const utf8 = new TextDecoder('utf-8', { fatal: true })
/** From this many bytes on, text is checked for ASCII and then copied (see decodeMemcachedValue). */
const ASCII_COPY_MIN = 1024

/**
 * Decode stored bytes by their flags. Anything unknown, pickled or corrupt is `UNREADABLE` (a
 * miss), so no bytes an attacker writes to the server can run code.
 */
export function decodeMemcachedValue(flags: number, buf: Buffer, start = 0, end = buf.length): unknown {
  try {
    if (flags === FLAG_TEXT) {
      // ASCII bytes read the same as UTF-8 and as Latin-1, and Latin-1 is a plain copy where
      // V8's UTF-8 decoder walks every byte: from ~1 KiB on, simdutf's isAscii plus the copy
      // costs less (4 KiB: ~2,100 instructions instead of ~4,700; ~100 bytes: ~1,200 instead
      // of ~800, so short values keep the one call). Otherwise Buffer's decoder is the fastest;
      // only text holding U+FFFD needs the strict check (the replacement character may be real,
      // or stand for invalid bytes).
      if (
        end - start >= ASCII_COPY_MIN &&
        isAscii(start === 0 && end === buf.length ? buf : buf.subarray(start, end))
      ) {
        return buf.toString('latin1', start, end)
      }
      const text = buf.toString('utf8', start, end)
      return text.includes('\uFFFD') ? utf8.decode(buf.subarray(start, end)) : text
    }
    const data = buf.subarray(start, end)
    switch (flags) {
      case FLAG_INTEGER:
      case FLAG_LONG: {
        const text = buf.toString('latin1', start, end).trim()
        if (!INTEGER.test(text)) return UNREADABLE
        const n = Number(text)
        return flags === FLAG_LONG || !Number.isSafeInteger(n) ? BigInt(text) : n
      }
      case FLAG_BYTES:
        return new Uint8Array(data)
      case FLAG_CACHEWORK:
        return decodeValueBytes(data)
      default:
        return UNREADABLE
    }
  } catch {
    return UNREADABLE
  }
}
