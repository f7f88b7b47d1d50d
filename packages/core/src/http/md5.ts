/**
 * MD5 (RFC 1321) as lowercase hex, for the page-cache keys Django builds with `hashlib.md5`
 * (never for security). Every page-cache lookup hashes its URI, so this is on the hit path: it
 * works in one reused block buffer and allocates only the result string, where a general hash
 * object allocates buffers and views per call (about 15× the instructions for a short URL). A
 * site with more distinct URLs than any memo could hold pays this, and only this, per request.
 */

// Per-round shift amounts and the sine-derived constants of RFC 1321 §3.4.
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
const K = new Int32Array(64)
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0

const block = new Int32Array(16)
const state = new Int32Array(4)
let bytes = new Uint8Array(256)
const encoder = new TextEncoder()
const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))

/** One 64-byte block of `src` at `off` (little-endian words) into `state`. */
function compress(src: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const o = off + i * 4
    block[i] =
      (src[o] as number) |
      ((src[o + 1] as number) << 8) |
      ((src[o + 2] as number) << 16) |
      ((src[o + 3] as number) << 24)
  }
  let a = state[0] as number
  let b = state[1] as number
  let c = state[2] as number
  let d = state[3] as number
  for (let i = 0; i < 64; i++) {
    let f: number
    let g: number
    if (i < 16) {
      f = (b & c) | (~b & d)
      g = i
    } else if (i < 32) {
      f = (d & b) | (~d & c)
      g = (5 * i + 1) & 15
    } else if (i < 48) {
      f = b ^ c ^ d
      g = (3 * i + 5) & 15
    } else {
      f = c ^ (b | ~d)
      g = (7 * i) & 15
    }
    const s = S[((i >> 4) << 2) | (i & 3)] as number
    const x = (a + f + (K[i] as number) + (block[g] as number)) | 0
    a = d
    d = c
    c = b
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0
  }
  state[0] = ((state[0] as number) + a) | 0
  state[1] = ((state[1] as number) + b) | 0
  state[2] = ((state[2] as number) + c) | 0
  state[3] = ((state[3] as number) + d) | 0
}

/** Hex MD5 of a string's UTF-8 bytes, or of bytes. */
export function md5Hex(input: string | Uint8Array): string {
  let src: Uint8Array
  let n: number
  if (typeof input === 'string') {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the padding at most 72 more.
    const need = input.length * 3 + 72
    if (bytes.length < need) bytes = new Uint8Array(Math.max(need, bytes.length * 2))
    n = encoder.encodeInto(input, bytes).written
    src = bytes
  } else {
    n = input.length
    const need = n + 72
    if (bytes.length < need) bytes = new Uint8Array(Math.max(need, bytes.length * 2))
    bytes.set(input)
    src = bytes
  }
  state[0] = 0x67452301
  state[1] = 0xefcdab89 | 0
  state[2] = 0x98badcfe | 0
  state[3] = 0x10325476
  // Padding (§3.1–3.2): 0x80, zeros to 56 mod 64, then the bit length, little-endian.
  const total = ((n + 8) >> 6) * 64 + 64
  src[n] = 0x80
  src.fill(0, n + 1, total)
  const bits = n * 8
  src[total - 8] = bits & 0xff
  src[total - 7] = (bits >>> 8) & 0xff
  src[total - 6] = (bits >>> 16) & 0xff
  src[total - 5] = (bits >>> 24) & 0xff
  const high = Math.floor(n / 2 ** 29)
  src[total - 4] = high & 0xff
  src[total - 3] = (high >>> 8) & 0xff
  src[total - 2] = (high >>> 16) & 0xff
  src[total - 1] = (high >>> 24) & 0xff
  for (let off = 0; off < total; off += 64) compress(src, off)
  let out = ''
  for (let i = 0; i < 4; i++) {
    const w = state[i] as number
    out += (HEX[w & 0xff] as string) + HEX[(w >>> 8) & 0xff] + HEX[(w >>> 16) & 0xff] + HEX[(w >>> 24) & 0xff]
  }
  return out
}
