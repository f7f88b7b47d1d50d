import { md5 } from '@noble/hashes/legacy.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { md5Hex } from '../src/http/md5.ts'

// The page-cache keys hash URIs with core's own MD5 (on the hit path); Django's keys use
// hashlib.md5, so every digest must be the standard one.
describe('md5Hex', () => {
  it('gives the RFC 1321 test-suite digests', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e')
    expect(md5Hex('a')).toBe('0cc175b9c0f1b6a831c399e269772661')
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72')
    expect(md5Hex('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0')
    expect(md5Hex('abcdefghijklmnopqrstuvwxyz')).toBe('c3fcd3d76192e4007dfb496cca67e13b')
    expect(md5Hex('1234567890'.repeat(8))).toBe('57edf4a22be3c955ac49da2e2107b67a')
  })

  it('agrees with a reference MD5 on every length across block boundaries, strings and bytes', () => {
    const ref = (s: string | Uint8Array) => bytesToHex(md5(typeof s === 'string' ? utf8ToBytes(s) : s))
    for (let len = 0; len < 300; len++) {
      const ascii = Array.from({ length: len }, (_, i) =>
        String.fromCharCode(32 + ((i * 31 + len) % 95)),
      ).join('')
      expect(md5Hex(ascii)).toBe(ref(ascii))
      const unicode = 'é€😀/'.repeat(len % 40) + ascii.slice(0, len % 70)
      expect(md5Hex(unicode)).toBe(ref(unicode))
      const bytes = new Uint8Array(len).map((_, i) => (i * 7 + len) & 255)
      expect(md5Hex(bytes)).toBe(ref(bytes))
    }
  })

  it('hashes a long input after a short one (the buffer grows) and a short one after it', () => {
    const long = 'x'.repeat(100_000)
    expect(md5Hex('a')).toBe('0cc175b9c0f1b6a831c399e269772661')
    expect(md5Hex(long)).toBe(bytesToHex(md5(utf8ToBytes(long))))
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72')
  })
})
