/**
 * MD5 (RFC 1321) as lowercase hex, for the page-cache keys Django builds with `hashlib.md5`
 * (never for security). Every page-cache lookup hashes its URI, so this is on the hit path: it
 * works in one reused block buffer and allocates only the result string, where a general hash
 * object allocates buffers and views per call (about 15× the instructions for a short URL). A
 * site with more distinct URLs than any memo could hold pays this, and only this, per request.
 */

// RFC 1321 §3.4, written out: each of the 64 steps is a ← b + ((a + F(b, c, d) + X[k] + T[i]) <<< s)
// on locals, with no table lookups or branches (a loop over the steps choosing the round per
// step cost ~2× the instructions per block; helper functions per step are not all inlined).
const state = new Int32Array(4)
let bytes = new Uint8Array(256)
/** `bytes` as 32-bit words, read directly where the machine is little-endian (as MD5's words are). */
let words = new Int32Array(bytes.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
/** One block's words assembled from the bytes, on a big-endian machine. */
const scratch = new Int32Array(16)
const encoder = new TextEncoder()

/** Grow `bytes` to at least `need` bytes (a multiple of 4, so `words` covers it all). */
function grow(need: number): void {
  bytes = new Uint8Array((Math.max(need, bytes.length * 2) + 3) & ~3)
  words = new Int32Array(bytes.buffer)
}

/** The 64-byte block of `bytes` at `off` into `state`, as little-endian words. */
function block(off: number): void {
  if (LITTLE_ENDIAN) {
    compress(words, off >> 2)
    return
  }
  const b = bytes
  for (let k = 0; k < 16; k++) {
    const o = off + k * 4
    scratch[k] =
      (b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)
  }
  compress(scratch, 0)
}

/**
 * One block, the 16 words of `w` from `o`, into `state`; the constants are RFC 1321's T[1..64].
 * Words are read as words (16 loads a block, not 64 byte loads and shifts: ~300 fewer
 * instructions per block, callgrind).
 */
function compress(w: Int32Array, o: number): void {
  const x0 = w[o + 0] as number
  const x1 = w[o + 1] as number
  const x2 = w[o + 2] as number
  const x3 = w[o + 3] as number
  const x4 = w[o + 4] as number
  const x5 = w[o + 5] as number
  const x6 = w[o + 6] as number
  const x7 = w[o + 7] as number
  const x8 = w[o + 8] as number
  const x9 = w[o + 9] as number
  const x10 = w[o + 10] as number
  const x11 = w[o + 11] as number
  const x12 = w[o + 12] as number
  const x13 = w[o + 13] as number
  const x14 = w[o + 14] as number
  const x15 = w[o + 15] as number
  let a = state[0] as number
  let b = state[1] as number
  let c = state[2] as number
  let d = state[3] as number
  let n: number
  n = (a + ((b & c) | (~b & d)) + x0 - 680876936) | 0
  a = (((n << 7) | (n >>> 25)) + b) | 0
  n = (d + ((a & b) | (~a & c)) + x1 - 389564586) | 0
  d = (((n << 12) | (n >>> 20)) + a) | 0
  n = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0
  c = (((n << 17) | (n >>> 15)) + d) | 0
  n = (b + ((c & d) | (~c & a)) + x3 - 1044525330) | 0
  b = (((n << 22) | (n >>> 10)) + c) | 0
  n = (a + ((b & c) | (~b & d)) + x4 - 176418897) | 0
  a = (((n << 7) | (n >>> 25)) + b) | 0
  n = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0
  d = (((n << 12) | (n >>> 20)) + a) | 0
  n = (c + ((d & a) | (~d & b)) + x6 - 1473231341) | 0
  c = (((n << 17) | (n >>> 15)) + d) | 0
  n = (b + ((c & d) | (~c & a)) + x7 - 45705983) | 0
  b = (((n << 22) | (n >>> 10)) + c) | 0
  n = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0
  a = (((n << 7) | (n >>> 25)) + b) | 0
  n = (d + ((a & b) | (~a & c)) + x9 - 1958414417) | 0
  d = (((n << 12) | (n >>> 20)) + a) | 0
  n = (c + ((d & a) | (~d & b)) + x10 - 42063) | 0
  c = (((n << 17) | (n >>> 15)) + d) | 0
  n = (b + ((c & d) | (~c & a)) + x11 - 1990404162) | 0
  b = (((n << 22) | (n >>> 10)) + c) | 0
  n = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0
  a = (((n << 7) | (n >>> 25)) + b) | 0
  n = (d + ((a & b) | (~a & c)) + x13 - 40341101) | 0
  d = (((n << 12) | (n >>> 20)) + a) | 0
  n = (c + ((d & a) | (~d & b)) + x14 - 1502002290) | 0
  c = (((n << 17) | (n >>> 15)) + d) | 0
  n = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0
  b = (((n << 22) | (n >>> 10)) + c) | 0
  n = (a + ((b & d) | (c & ~d)) + x1 - 165796510) | 0
  a = (((n << 5) | (n >>> 27)) + b) | 0
  n = (d + ((a & c) | (b & ~c)) + x6 - 1069501632) | 0
  d = (((n << 9) | (n >>> 23)) + a) | 0
  n = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0
  c = (((n << 14) | (n >>> 18)) + d) | 0
  n = (b + ((c & a) | (d & ~a)) + x0 - 373897302) | 0
  b = (((n << 20) | (n >>> 12)) + c) | 0
  n = (a + ((b & d) | (c & ~d)) + x5 - 701558691) | 0
  a = (((n << 5) | (n >>> 27)) + b) | 0
  n = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0
  d = (((n << 9) | (n >>> 23)) + a) | 0
  n = (c + ((d & b) | (a & ~b)) + x15 - 660478335) | 0
  c = (((n << 14) | (n >>> 18)) + d) | 0
  n = (b + ((c & a) | (d & ~a)) + x4 - 405537848) | 0
  b = (((n << 20) | (n >>> 12)) + c) | 0
  n = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0
  a = (((n << 5) | (n >>> 27)) + b) | 0
  n = (d + ((a & c) | (b & ~c)) + x14 - 1019803690) | 0
  d = (((n << 9) | (n >>> 23)) + a) | 0
  n = (c + ((d & b) | (a & ~b)) + x3 - 187363961) | 0
  c = (((n << 14) | (n >>> 18)) + d) | 0
  n = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0
  b = (((n << 20) | (n >>> 12)) + c) | 0
  n = (a + ((b & d) | (c & ~d)) + x13 - 1444681467) | 0
  a = (((n << 5) | (n >>> 27)) + b) | 0
  n = (d + ((a & c) | (b & ~c)) + x2 - 51403784) | 0
  d = (((n << 9) | (n >>> 23)) + a) | 0
  n = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0
  c = (((n << 14) | (n >>> 18)) + d) | 0
  n = (b + ((c & a) | (d & ~a)) + x12 - 1926607734) | 0
  b = (((n << 20) | (n >>> 12)) + c) | 0
  n = (a + (b ^ c ^ d) + x5 - 378558) | 0
  a = (((n << 4) | (n >>> 28)) + b) | 0
  n = (d + (a ^ b ^ c) + x8 - 2022574463) | 0
  d = (((n << 11) | (n >>> 21)) + a) | 0
  n = (c + (d ^ a ^ b) + x11 + 1839030562) | 0
  c = (((n << 16) | (n >>> 16)) + d) | 0
  n = (b + (c ^ d ^ a) + x14 - 35309556) | 0
  b = (((n << 23) | (n >>> 9)) + c) | 0
  n = (a + (b ^ c ^ d) + x1 - 1530992060) | 0
  a = (((n << 4) | (n >>> 28)) + b) | 0
  n = (d + (a ^ b ^ c) + x4 + 1272893353) | 0
  d = (((n << 11) | (n >>> 21)) + a) | 0
  n = (c + (d ^ a ^ b) + x7 - 155497632) | 0
  c = (((n << 16) | (n >>> 16)) + d) | 0
  n = (b + (c ^ d ^ a) + x10 - 1094730640) | 0
  b = (((n << 23) | (n >>> 9)) + c) | 0
  n = (a + (b ^ c ^ d) + x13 + 681279174) | 0
  a = (((n << 4) | (n >>> 28)) + b) | 0
  n = (d + (a ^ b ^ c) + x0 - 358537222) | 0
  d = (((n << 11) | (n >>> 21)) + a) | 0
  n = (c + (d ^ a ^ b) + x3 - 722521979) | 0
  c = (((n << 16) | (n >>> 16)) + d) | 0
  n = (b + (c ^ d ^ a) + x6 + 76029189) | 0
  b = (((n << 23) | (n >>> 9)) + c) | 0
  n = (a + (b ^ c ^ d) + x9 - 640364487) | 0
  a = (((n << 4) | (n >>> 28)) + b) | 0
  n = (d + (a ^ b ^ c) + x12 - 421815835) | 0
  d = (((n << 11) | (n >>> 21)) + a) | 0
  n = (c + (d ^ a ^ b) + x15 + 530742520) | 0
  c = (((n << 16) | (n >>> 16)) + d) | 0
  n = (b + (c ^ d ^ a) + x2 - 995338651) | 0
  b = (((n << 23) | (n >>> 9)) + c) | 0
  n = (a + (c ^ (b | ~d)) + x0 - 198630844) | 0
  a = (((n << 6) | (n >>> 26)) + b) | 0
  n = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0
  d = (((n << 10) | (n >>> 22)) + a) | 0
  n = (c + (a ^ (d | ~b)) + x14 - 1416354905) | 0
  c = (((n << 15) | (n >>> 17)) + d) | 0
  n = (b + (d ^ (c | ~a)) + x5 - 57434055) | 0
  b = (((n << 21) | (n >>> 11)) + c) | 0
  n = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0
  a = (((n << 6) | (n >>> 26)) + b) | 0
  n = (d + (b ^ (a | ~c)) + x3 - 1894986606) | 0
  d = (((n << 10) | (n >>> 22)) + a) | 0
  n = (c + (a ^ (d | ~b)) + x10 - 1051523) | 0
  c = (((n << 15) | (n >>> 17)) + d) | 0
  n = (b + (d ^ (c | ~a)) + x1 - 2054922799) | 0
  b = (((n << 21) | (n >>> 11)) + c) | 0
  n = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0
  a = (((n << 6) | (n >>> 26)) + b) | 0
  n = (d + (b ^ (a | ~c)) + x15 - 30611744) | 0
  d = (((n << 10) | (n >>> 22)) + a) | 0
  n = (c + (a ^ (d | ~b)) + x6 - 1560198380) | 0
  c = (((n << 15) | (n >>> 17)) + d) | 0
  n = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0
  b = (((n << 21) | (n >>> 11)) + c) | 0
  n = (a + (c ^ (b | ~d)) + x4 - 145523070) | 0
  a = (((n << 6) | (n >>> 26)) + b) | 0
  n = (d + (b ^ (a | ~c)) + x11 - 1120210379) | 0
  d = (((n << 10) | (n >>> 22)) + a) | 0
  n = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0
  c = (((n << 15) | (n >>> 17)) + d) | 0
  n = (b + (d ^ (c | ~a)) + x9 - 343485551) | 0
  b = (((n << 21) | (n >>> 11)) + c) | 0
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
    n = encode(input)
    src = bytes
  } else {
    n = input.length
    if (bytes.length < n + 72) grow(n + 72)
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
  const bits = n * 8
  const high = Math.floor(n / 2 ** 29)
  if (LITTLE_ENDIAN) {
    // The zeros and the length as words where the machine is little-endian: the bytes up to
    // the next word, then whole words (`fill` was a builtin call costing ~140 instructions).
    let z = n + 1
    while ((z & 3) !== 0) src[z++] = 0
    const w = words
    for (let k = z >> 2, end = (total - 8) >> 2; k < end; k++) w[k] = 0
    w[(total - 8) >> 2] = bits | 0
    w[(total - 4) >> 2] = high | 0
  } else {
    src.fill(0, n + 1, total)
    src[total - 8] = bits & 0xff
    src[total - 7] = (bits >>> 8) & 0xff
    src[total - 6] = (bits >>> 16) & 0xff
    src[total - 5] = (bits >>> 24) & 0xff
    src[total - 4] = high & 0xff
    src[total - 3] = (high >>> 8) & 0xff
    src[total - 2] = (high >>> 16) & 0xff
    src[total - 1] = (high >>> 24) & 0xff
  }
  for (let off = 0; off < total; off += 64) block(off)
  return hex32(state[0] as number, state[1] as number, state[2] as number, state[3] as number)
}

/**
 * The UTF-8 of `s` into `bytes` (grown as needed), its length returned. `encodeInto` for every
 * string: a charCodeAt loop for ASCII cost ~18 more instructions per character than its one
 * call (callgrind, a 33-character URI: ~600 per md5), however short the URI.
 */
function encode(s: string): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; the padding at most 72 more.
  const need = s.length * 3 + 72
  if (bytes.length < need) grow(need)
  return encoder.encodeInto(s, bytes).written
}

/** Lower-case hex digit of the nibble `n` (0–15) as a char code, without a branch. */
function hd(n: number): number {
  return n + 48 + (((9 - n) >> 31) & 39)
}

// A byte's two hex digits as char codes (a fixed 512-byte table, not a memo): a table load per
// digit in place of hd's arithmetic, ~180 fewer instructions per digest (callgrind).
const HI = new Uint8Array(256)
const LO = new Uint8Array(256)
for (let i = 0; i < 256; i++) {
  HI[i] = hd(i >> 4)
  LO[i] = hd(i & 15)
}

/**
 * The digest's 16 bytes (four little-endian words) as 32 hex characters, made as one flat
 * string by a single `fromCharCode` (joining per-byte strings made ~15 intermediate strings).
 */
function hex32(a: number, b: number, c: number, d: number): string {
  // biome-ignore format: one row per word
  return String.fromCharCode(
    HI[a & 255] as number, LO[a & 255] as number, HI[(a >>> 8) & 255] as number, LO[(a >>> 8) & 255] as number,
    HI[(a >>> 16) & 255] as number, LO[(a >>> 16) & 255] as number, HI[a >>> 24] as number, LO[a >>> 24] as number,
    HI[b & 255] as number, LO[b & 255] as number, HI[(b >>> 8) & 255] as number, LO[(b >>> 8) & 255] as number,
    HI[(b >>> 16) & 255] as number, LO[(b >>> 16) & 255] as number, HI[b >>> 24] as number, LO[b >>> 24] as number,
    HI[c & 255] as number, LO[c & 255] as number, HI[(c >>> 8) & 255] as number, LO[(c >>> 8) & 255] as number,
    HI[(c >>> 16) & 255] as number, LO[(c >>> 16) & 255] as number, HI[c >>> 24] as number, LO[c >>> 24] as number,
    HI[d & 255] as number, LO[d & 255] as number, HI[(d >>> 8) & 255] as number, LO[(d >>> 8) & 255] as number,
    HI[(d >>> 16) & 255] as number, LO[(d >>> 16) & 255] as number, HI[d >>> 24] as number, LO[d >>> 24] as number,
  )
}
