/** Rule 12: values round-trip, are isolated, and never run code. A group of `cacheConformanceSuite` (docs/contract.md §2). */
import { describe, expect, it } from 'vitest'
import { uniqueKey, type SuiteContext } from './context.ts'

class Thing {
  a = 1
  b = 'two'
  method(): number {
    return this.a
  }
}

/** The values of rule 12, each with a label; every one must round-trip equal. */
export function roundTripValues(): Array<[string, unknown]> {
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic.self = cyclic
  const shared = { s: 1 }
  return [
    ['string', 'hello'],
    ['unicode string', 'Iñtërnâtiônàlizætiøn 清 😀'],
    ['empty string', ''],
    ['integer', 42],
    ['negative integer', -7],
    ['float', 1.5],
    ['large integer', 2 ** 53 - 1],
    ['zero', 0],
    ['negative zero', -0],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['true', true],
    ['false', false],
    ['null', null],
    ['bigint', 12345678901234567890n],
    ['Date', new Date('2024-02-29T12:34:56.789Z')],
    ['RegExp', /ab+c/gi],
    [
      'Map',
      new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: [3] }],
      ]),
    ],
    ['Set', new Set([1, 'two', 3])],
    ['ArrayBuffer', new Uint8Array([1, 2, 3, 255]).buffer],
    ['Uint8Array', new Uint8Array([0, 1, 2, 254, 255])],
    ['Float64Array', new Float64Array([1.5, -2.25, Number.NaN])],
    ['Int32Array', new Int32Array([-1, 0, 2147483647])],
    ['plain object', { a: 1, b: 'x', c: [1, 2, { d: null }], e: { f: { g: true } } }],
    ['array', [1, 'a', null, [2, [3]], { x: 1 }]],
    ['object with undefined', { a: undefined, b: 1 }],
    ['nested special values', { d: new Date(0), m: new Map([[1, new Set([2])]]), n: Number.NaN, z: -0 }],
    ['cyclic object', cyclic],
    ['shared references', { a: shared, b: shared }],
    ['large string', 'x'.repeat(100_000)],
  ]
}

/** Register this group's tests for the caches `ctx` makes. */
export function valueRules(ctx: SuiteContext): void {
  const { make } = ctx
  describe('rule 12: values', () => {
    for (const [label, value] of roundTripValues()) {
      it(`round-trips ${label}`, async () => {
        const c = await make()
        const k = uniqueKey()
        expect(await c.set(k, value)).toBe(true)
        const back = await c.get(k)
        if (value instanceof ArrayBuffer) {
          expect(back).toBeInstanceOf(ArrayBuffer)
          expect([...new Uint8Array(back as ArrayBuffer)]).toEqual([...new Uint8Array(value)])
        } else if (label === 'cyclic object') {
          const b = back as Record<string, unknown>
          expect(b.name).toBe('loop')
          expect(b.self).toBe(b)
        } else if (label === 'shared references') {
          const b = back as { a: unknown; b: unknown }
          expect(b.a).toEqual({ s: 1 })
          expect(b.a).toBe(b.b)
        } else if (typeof value === 'number' && Object.is(value, -0)) {
          expect(Object.is(back, -0)).toBe(true)
        } else {
          expect(back).toStrictEqual(value)
        }
      })
    }
    // Only where Node's Buffer exists (the Uint8Array case above covers every realm).
    const B = (globalThis as { Buffer?: { from(a: number[]): Uint8Array } }).Buffer
    if (B) {
      it('round-trips a Node Buffer as bytes (Uint8Array or Buffer)', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, B.from([1, 2, 3]))
        const back = await c.get(k)
        expect(back).toBeInstanceOf(Uint8Array)
        expect([...(back as Uint8Array)]).toEqual([1, 2, 3])
      })
    }
    it('stores class instances as plain objects', async () => {
      const c = await make()
      const k = uniqueKey()
      // The type refuses an instance whose class has methods (they would not come back), so a
      // caller storing one on purpose says so.
      await c.set(k, new Thing() as unknown)
      const back = (await c.get(k)) as Record<string, unknown>
      expect({ ...back }).toEqual({ a: 1, b: 'two' })
      expect(back).not.toBeInstanceOf(Thing)
    })
    it('round-trips an Error as structuredClone does: its standard kind, message, stack and cause', async () => {
      const c = await make()
      const k = uniqueKey()
      const err = Object.assign(new TypeError('bad input', { cause: { field: 'name' } }), { extra: 1 })
      class AppError extends RangeError {}
      const named = new Error('renamed')
      named.name = 'SyntaxError'
      await c.set(k, { err, sub: new AppError('range'), named, plain: new Error('plain') })
      const back = (await c.get(k)) as Record<string, Error & { extra?: unknown }>
      expect(back.err).toBeInstanceOf(TypeError)
      expect([back.err?.name, back.err?.message, back.err?.cause]).toEqual([
        'TypeError',
        'bad input',
        { field: 'name' },
      ])
      expect(back.err?.stack).toBe(err.stack)
      // Other own properties are not part of an Error's clone (HTML structured serialization).
      expect(back.err?.extra).toBeUndefined()
      // A subclass reads back as its standard kind; a renamed Error by its name.
      expect(back.sub?.constructor).toBe(RangeError)
      expect(back.named?.constructor).toBe(SyntaxError)
      expect(back.plain?.constructor).toBe(Error)
      expect(back.plain?.message).toBe('plain')
      expect('cause' in (back.plain as Error)).toBe(false)
    })
    it("round-trips an array's own non-index properties, as structuredClone keeps them", async () => {
      const c = await make()
      const k = uniqueKey()
      const tagged = Object.assign([1, 2], { extra: 'x' })
      const holey: unknown[] = [1]
      holey[2] = 3
      const sparse = Object.assign(holey, { meta: { n: new Date(5) } })
      const odd = Object.assign([], { '-1': 1, '1.5': 2, '4294967295': 3, __proto__x: 4 })
      const cyclic: unknown[] & { self?: unknown } = ['c']
      cyclic.self = cyclic
      cyclic.push(cyclic)
      class List extends Array<number> {}
      const sub = Object.assign(List.from([7, 8]), { note: 'sub' })
      const value = { tagged, nested: [Object.assign([{ b: 2 }], { inner: [3] })], sparse, odd, cyclic, sub }
      expect(await c.set(k, value)).toBe(true)
      const back = (await c.get(k)) as typeof value
      expect(back.tagged).toStrictEqual(tagged)
      expect(Object.keys(back.tagged)).toEqual(['0', '1', 'extra'])
      expect(back.nested).toStrictEqual(value.nested)
      expect(back.sparse).toStrictEqual(sparse)
      expect(1 in back.sparse).toBe(false)
      expect(back.odd).toStrictEqual(odd)
      expect(back.odd).toHaveLength(0)
      expect(back.cyclic.self).toBe(back.cyclic)
      expect(back.cyclic[1]).toBe(back.cyclic)
      // An Array subclass reads back as a plain Array, its own properties kept (as structuredClone).
      expect(Object.getPrototypeOf(back.sub)).toBe(Array.prototype)
      expect({ ...back.sub }).toEqual({ 0: 7, 1: 8, note: 'sub' })
      expect((await c.getMany([k]))[k]).toStrictEqual(back)
      // Isolated like every value: a change to what came back stays out of the cache.
      back.tagged.extra = 'changed'
      expect(((await c.get(k)) as typeof value).tagged.extra).toBe('x')
      // A function there is refused like anywhere else; a symbol-keyed property is not part of
      // an array's clone (structuredClone leaves it out), so every backend leaves it out.
      const k2 = uniqueKey()
      await expect(c.set(k2, Object.assign([1], { f: () => 1 }) as unknown)).rejects.toBeInstanceOf(TypeError)
      await expect(c.set(k2, Object.assign([1], { x: [Symbol('s')] }) as unknown)).rejects.toBeInstanceOf(
        TypeError,
      )
      expect(await c.has(k2)).toBe(false)
      await c.set(k2, Object.assign([1], { [Symbol('s')]: 1 }))
      const noSymbol = (await c.get(k2)) as unknown[]
      expect(noSymbol).toStrictEqual([1])
      expect(Object.getOwnPropertySymbols(noSymbol)).toEqual([])
    })
    it('drops the own properties of a Map, Set, Date or typed array, as structuredClone does', async () => {
      const c = await make()
      const k = uniqueKey()
      const extra = { note: 'dropped' }
      const value = {
        m: Object.assign(new Map([[1, 2]]), extra),
        s: Object.assign(new Set([1]), extra),
        d: Object.assign(new Date(5), extra),
        u: Object.assign(new Uint8Array([1]), extra),
      }
      await c.set(k, value)
      const back = (await c.get(k)) as Record<string, object>
      for (const name of ['m', 's', 'd', 'u'])
        expect(Object.keys(back[name] as object), name).toEqual(name === 'u' ? ['0'] : [])
      expect(back).toStrictEqual(structuredClone(value))
    })
    it('rejects a function or symbol anywhere in the value with TypeError', async () => {
      const c = await make()
      const k = uniqueKey()
      // Each of these also fails to compile (value-types.ts): the run-time check is for callers
      // the types cannot see (JavaScript, `unknown`, `any`).
      // @ts-expect-error a function
      await expect(c.set(k, () => 1)).rejects.toBeInstanceOf(TypeError)
      // @ts-expect-error a method inside
      await expect(c.set(k, { nested: [1, { f() {} }] })).rejects.toBeInstanceOf(TypeError)
      // @ts-expect-error a symbol
      await expect(c.set(k, Symbol('s'))).rejects.toBeInstanceOf(TypeError)
      // @ts-expect-error a symbol inside
      await expect(c.set(k, { s: Symbol('s') })).rejects.toBeInstanceOf(TypeError)
      // @ts-expect-error a function in a Map
      await expect(c.set(k, new Map([['f', () => 1]]))).rejects.toBeInstanceOf(TypeError)
      // @ts-expect-error symbols in an array
      await expect(c.add(k, [Symbol.iterator])).rejects.toBeInstanceOf(TypeError)
      // @ts-expect-error a function among many
      await expect(c.setMany({ [k]: () => 1 })).rejects.toBeInstanceOf(TypeError)
      const untyped: unknown = () => 1
      await expect(c.set(k, untyped)).rejects.toBeInstanceOf(TypeError)
      expect(await c.has(k)).toBe(false)
    })
    it('isolates values: mutating after set or after get never changes what is stored', async () => {
      const c = await make()
      const k = uniqueKey()
      const v = { list: [1, 2], nested: { a: 1 }, m: new Map([['x', 1]]) }
      await c.set(k, v)
      v.list.push(3)
      v.nested.a = 99
      v.m.set('y', 2)
      const got = (await c.get(k)) as typeof v
      expect(got).toEqual({ list: [1, 2], nested: { a: 1 }, m: new Map([['x', 1]]) })
      got.list.push(4)
      got.nested.a = 100
      got.m.clear()
      expect(await c.get(k)).toEqual({ list: [1, 2], nested: { a: 1 }, m: new Map([['x', 1]]) })
      const many = (await c.getMany([k])) as Record<string, typeof v>
      many[k]?.list.push(5)
      expect(((await c.get(k)) as typeof v).list).toEqual([1, 2])
    })
    it('keeps an own __proto__ key as data, never as a prototype', async () => {
      const c = await make()
      const k = uniqueKey()
      const v = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}')
      await c.set(k, v)
      const back = (await c.get(k)) as Record<string, unknown>
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect((back as { polluted?: unknown }).polluted).toBeUndefined()
      expect(back.ok).toBe(1)
    })
  })
}
