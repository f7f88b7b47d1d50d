import { describe, expect, it } from 'vitest'
import { plainKeyChars } from '../src/key-maker.ts'

// The characters rule 2's exact checks must see (docs/contract.md): C0 controls and space, DEL,
// any surrogate (the base of a lone-surrogate rejection). Everything else is plain.
const NOT_PLAIN = /[\x00-\x20\x7f\ud800-\udfff]/

describe('plainKeyChars', () => {
  it('refuses exactly the C0 controls, space, DEL and surrogates, in short and long keys', () => {
    const wrong: string[] = []
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c)
      const plain = !NOT_PLAIN.test(ch)
      // 'a?b' takes the character loop, the 12-character form the regex (past 8 characters).
      for (const key of [ch, `a${ch}b`, `user:${ch}:12345`]) {
        if (plainKeyChars(key) !== plain) wrong.push(`${c.toString(16)} in ${JSON.stringify(key)}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('passes a key of printable ASCII and non-ASCII letters', () => {
    expect(plainKeyChars('user-123')).toBe(true)
    expect(plainKeyChars('~!')).toBe(true)
    expect(plainKeyChars('café')).toBe(true)
    expect(plainKeyChars('\ud83d\ude00')).toBe(false)
  })
})
