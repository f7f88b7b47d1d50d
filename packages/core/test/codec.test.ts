import { describe, expect, it } from 'vitest'
import { decodeValue, decodeValueBytes, encodeValue, encodeValueBytes } from '../src/backend.ts'
import { roundTripValues } from '../src/testing/index.ts'

describe('the value codec (docs/contract.md rule 12)', () => {
  for (const [label, v] of roundTripValues()) {
    it(`round-trips ${label} through text and bytes`, () => {
      const back = decodeValue(encodeValue(v))
      const back2 = decodeValueBytes(encodeValueBytes(v))
      if (label === 'cyclic object') {
        expect((back as { self: unknown }).self).toBe(back)
      } else if (v instanceof ArrayBuffer) {
        expect([...new Uint8Array(back as ArrayBuffer)]).toEqual([...new Uint8Array(v)])
      } else if (typeof v === 'number' && Object.is(v, -0)) {
        expect(Object.is(back, -0)).toBe(true)
      } else {
        expect(back).toStrictEqual(v)
        expect(back2).toStrictEqual(v)
      }
    })
  }

  it('encodes a pooled Buffer without its pool', () => {
    const b = Buffer.from('hi')
    const text = encodeValue(b)
    expect(text.length).toBeLessThan(100)
    expect([...(decodeValue(text) as Uint8Array)]).toEqual([104, 105])
  })

  it('never executes code while loading', () => {
    ;(globalThis as { pwned?: boolean }).pwned = false
    const attacks = [
      '[{"a":1}]; globalThis.pwned = true',
      '(function(){globalThis.pwned = true})()',
      '[["Object",1],"globalThis.pwned = true"]',
      '[["Function","globalThis.pwned = true"]]',
      '[["o",1],{"__proto__":2},{"polluted":true}]',
      '[{"constructor":1},{"prototype":2},{"polluted":3},true]',
    ]
    for (const a of attacks) {
      try {
        decodeValue(a)
      } catch {
        // Rejecting is fine; executing is not.
      }
    }
    expect((globalThis as { pwned?: boolean }).pwned).toBe(false)
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  it('reads an array payload as data: own properties never a prototype, bad lengths and keys refused', () => {
    const proto = decodeValue('[["a",1],[2,3,4],1,"__proto__",{"polluted":5},1]') as unknown[]
    expect(Object.getPrototypeOf(proto)).toBe(Array.prototype)
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toEqual({ polluted: 1 })
    expect((proto as { polluted?: unknown }).polluted).toBeUndefined()
    // A payload holding itself is one array, however often it is reached.
    const self = decodeValue('[["a",1],[2,3,0],4294967295,"x"]') as unknown[] & { x?: unknown }
    expect(self.x).toBe(self)
    expect(self).toHaveLength(2 ** 32 - 1)
    for (const bad of [
      '[["a",1],[2,3,2],5,"length"]',
      '[["a",1],[2,3,4],1,5,6,1]',
      '[["a",1],[2],-1]',
      '[["a",1],[2],1.5]',
      '[["a",1],"x"]',
      '[["a",0]]',
    ]) {
      expect(() => decodeValue(bad), bad).toThrow()
    }
  })

  it('rejects corrupt input with an exception the backends turn into a miss', () => {
    expect(() => decodeValue('{not json')).toThrow()
    expect(() => decodeValueBytes(new Uint8Array([0xff, 0xfe, 0x00]))).toThrow()
  })

  it('reads a stored Date back only as the date stored: damaged date text is corrupt, not another date', () => {
    for (const d of [new Date(0), new Date(8.64e15), new Date(-8.64e15), new Date(Number.NaN)]) {
      const text = encodeValue({ d })
      expect(decodeValue(text)).toStrictEqual({ d })
    }
    const good = encodeValue(new Date(0))
    expect(good).toContain('"1970-01-01T00:00:00.000Z"')
    // A damaged byte, another spelling of the same instant, a number: each is refused.
    for (const bad of [' 970-01-01T00:00:00.000Z', '1970-01-01', '1970-01-01T00:00:00Z', 'x']) {
      expect(() => decodeValue(good.replace('1970-01-01T00:00:00.000Z', bad))).toThrow(/Invalid Date/)
    }
    expect(() => decodeValue('[["Date",0]]')).toThrow(/Invalid Date/)
  })

  it('throws TypeError for functions and symbols', () => {
    expect(() => encodeValue({ f: () => 1 })).toThrow(TypeError)
    expect(() => encodeValue([Symbol('x')])).toThrow(TypeError)
  })
})
