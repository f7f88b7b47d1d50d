/** `describeValue`: typed trees of Map, Set, Date, bigint, typed arrays and cycles, without running user code. */
import { describe, expect, it } from 'vitest'
import { describeValue, isJsonValue } from '../src/value-tree.ts'

describe('describeValue', () => {
  it('keeps every type and marks cycles as references to their container', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    expect(describeValue(cyclic)).toEqual({
      t: 'object',
      id: 1,
      cls: 'Object',
      more: 0,
      entries: [
        ['name', { t: 'str', v: 'loop', len: 4 }],
        ['self', { t: 'ref', id: 1 }],
      ],
    })
    expect(describeValue(new Map([['k', new Set([1n])]]))).toEqual({
      t: 'map',
      id: 1,
      size: 1,
      entries: [
        [
          { t: 'str', v: 'k', len: 1 },
          { t: 'set', id: 2, size: 1, items: [{ t: 'bigint', v: '1' }] },
        ],
      ],
    })
    expect(describeValue(new Date(0))).toEqual({ t: 'date', v: '1970-01-01T00:00:00.000Z' })
    expect(describeValue(new Uint16Array([1, 2]))).toEqual({
      t: 'typed',
      cls: 'Uint16Array',
      len: 2,
      items: ['1', '2'],
    })
    expect(describeValue(new ArrayBuffer(3))).toEqual({
      t: 'typed',
      cls: 'ArrayBuffer',
      len: 3,
      items: ['0', '0', '0'],
    })
    expect(describeValue([Number.NaN, -0, undefined, null])).toEqual({
      t: 'array',
      id: 1,
      len: 4,
      items: [{ t: 'num', v: 'NaN' }, { t: 'num', v: '-0' }, { t: 'undefined' }, { t: 'null' }],
    })
    // A shared (not cyclic) object is described at each place it appears.
    const shared = { a: 1 }
    const both = describeValue([shared, shared]) as { items: Array<{ t: string }> }
    expect(both.items.map((n) => n.t)).toEqual(['object', 'object'])
  })

  it('never calls getters, toString, toJSON or overridden Map methods', () => {
    let called = 0
    class Sneaky extends Map<unknown, unknown> {
      override entries(): MapIterator<[unknown, unknown]> {
        called++
        return super.entries()
      }
    }
    const o = {
      get g() {
        called++
        return 1
      },
      toJSON() {
        called++
      },
    }
    describeValue(o)
    describeValue(new Sneaky([[1, 2]]))
    expect(called).toBe(0)
    expect(describeValue(o)).toMatchObject({
      entries: [
        ['g', { t: 'fn', v: 'getter' }],
        ['toJSON', { t: 'fn' }],
      ],
    })
  })

  it('stops at its limits', () => {
    const deep: Record<string, unknown> = {}
    let at = deep
    for (let i = 0; i < 30; i++) {
      at.next = {}
      at = at.next as Record<string, unknown>
    }
    expect(JSON.stringify(describeValue(deep, { maxDepth: 3 }))).toContain('"t":"cut"')
    expect((describeValue('x'.repeat(50), { maxString: 10 }) as { v: string; len: number }).v).toHaveLength(
      10,
    )
    expect(
      (describeValue(Array.from({ length: 500 }, (_, i) => i)) as { items: unknown[] }).items,
    ).toHaveLength(200)
  })

  it('isJsonValue accepts only what JSON round-trips', () => {
    expect(isJsonValue({ a: [1, 'x', null, true, { b: 2 }] })).toBe(true)
    const holey: unknown[] = []
    holey[1] = 1
    for (const v of [
      new Map(),
      new Date(),
      1n,
      undefined,
      Number.NaN,
      -0,
      holey,
      { f() {} },
      new (class X {})(),
    ])
      expect(isJsonValue(v)).toBe(false)
  })
})
