/**
 * Rule 12 as properties (fast-check), run by every backend of the suite: random values from the
 * structured-clone domain (lone surrogates, big bigints, sparse arrays and arrays with own
 * non-index properties, `-0`, typed arrays over every buffer kind, nested Maps and Sets, cycles)
 * either round-trip exactly or are rejected with `TypeError`, never stored and changed. Run
 * counts are small and fixed per backend (`propertyRuns`); shrunk counterexamples found so far
 * are kept as plain regression cases.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type SuiteContext, uniqueKey } from './context.ts'

/** A property name that is not an array index nor `length` (`__proto__` included). */
const extraKey = fc
  .oneof(fc.string({ maxLength: 4 }), fc.constantFrom('__proto__', '-1', '1.5', '01', '4294967295'))
  .filter((k) => k !== 'length' && String(Number(k) >>> 0) !== k)

/** Values from the structured-clone domain the contract promises (rule 12). */
function cloneableValue(): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.string(),
    // Any UTF-16, lone surrogates included (D6).
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(-0),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 16 }),
    fc.float64Array({ maxLength: 4 }),
    // Every typed-array kind, over a whole buffer or a window of a bigger one, plus DataView and
    // ArrayBuffer (rule 12: "typed arrays over every buffer kind").
    typedArray(),
  )
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
      fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('value')), { maxLength: 3 }).map((e) => new Map(e)),
      fc.array(fc.integer(), { maxLength: 4 }).map((e) => new Set(e)),
      fc.array(tie('value'), { maxLength: 3 }).map((e) => new Set(e)),
      // Sparse arrays: holes stay holes (`1 in a` is false after the round trip).
      fc.sparseArray(tie('value'), { maxLength: 6, maxNumElements: 3 }),
      // Arrays with own non-index properties (`a.extra = 'x'`), which structured clone keeps.
      fc
        .tuple(
          fc.sparseArray(tie('value'), { maxLength: 4 }),
          fc.dictionary(extraKey, tie('value'), { maxKeys: 2 }),
        )
        .map(([a, extra]) => {
          for (const [k, x] of Object.entries(extra)) {
            Object.defineProperty(a, k, { value: x, writable: true, enumerable: true, configurable: true })
          }
          return a
        }),
      // Cycles and shared references: an object holding itself, a Map holding its container.
      fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }).map((o) => {
        const c: Record<string, unknown> = { ...o }
        c.self = c
        c.twice = [c, c]
        return c
      }),
      tie('value').map((v) => {
        const box: { v: unknown; m?: Map<string, unknown> } = { v }
        box.m = new Map<string, unknown>([['box', box]])
        return box
      }),
    ),
  })).value
}

const TYPED = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const

/** A typed array of any kind (a whole buffer or a window into one), a DataView or an ArrayBuffer. */
function typedArray(): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: TYPED.length + 1 }),
      fc.uint8Array({ maxLength: 32 }),
      fc.nat(3),
      fc.boolean(),
    )
    .map(([kind, bytes, offsetUnits, windowed]) => {
      const buf = new ArrayBuffer(bytes.length + 16)
      new Uint8Array(buf).set(bytes)
      if (kind === TYPED.length) return buf
      if (kind === TYPED.length + 1) return windowed ? new DataView(buf, 2, 6) : new DataView(buf)
      const T = TYPED[kind] as (typeof TYPED)[number]
      const size = T.BYTES_PER_ELEMENT
      if (!windowed) return new T(buf.slice(0, Math.floor(buf.byteLength / size) * size))
      const offset = offsetUnits * size
      return new T(buf, offset, Math.floor((buf.byteLength - offset) / size / 2))
    })
}

/** Whether `f` rejects with a `TypeError` (the only allowed refusal of a value). */
async function rejectsWithTypeError(f: () => Promise<unknown>): Promise<boolean> {
  try {
    await f()
    return false
  } catch (e) {
    if (e instanceof TypeError) return true
    throw e
  }
}

/** Register this group's tests for the caches `ctx` makes. */
export function valuePropertyRules(ctx: SuiteContext): void {
  const runs = ctx.options.propertyRuns ?? 20
  describe('value properties (fast-check, rule 12)', () => {
    it('kept counterexamples: lone surrogates, long bigints, null-prototype objects', async () => {
      const c = await ctx.make({ timeout: null })
      const cases: unknown[] = [
        'a\ud800b',
        '\udc00',
        ['\ud83d'],
        2n ** 100n,
        -(10n ** 30n),
        new Map([['', { x: 1 }]]),
      ]
      for (const value of cases) {
        const key = uniqueKey('pc')
        if (await rejectsWithTypeError(() => c.set(key, value))) continue
        expect(await c.get(key)).toStrictEqual(value)
        expect((await c.getMany([key]))[key]).toStrictEqual(value)
      }
    })

    it('values no backend stores faithfully reject with TypeError everywhere; subclasses store as their base (D2)', async () => {
      const c = await ctx.make({ timeout: null })
      const g = globalThis as { SharedArrayBuffer?: new (n: number) => ArrayBufferLike; Blob?: typeof Blob }
      const refused: unknown[] = [
        new URL('http://a.example/'),
        new URLSearchParams('a=1'),
        new WeakMap(),
        Promise.resolve(1),
      ]
      if (g.Blob) refused.push(new g.Blob(['x']), { inner: new g.Blob(['y']) })
      if (g.SharedArrayBuffer)
        refused.push(new g.SharedArrayBuffer(4), new Uint8Array(new g.SharedArrayBuffer(4)))
      for (const value of refused) {
        const key = uniqueKey('d2')
        await expect(c.set(key, value), Object.prototype.toString.call(value)).rejects.toBeInstanceOf(
          TypeError,
        )
        expect(await c.has(key)).toBe(false)
      }
      class MyMap extends Map<string, number> {}
      class MyDate extends Date {}
      const key = uniqueKey('d2s')
      await c.set(key, { m: new MyMap([['a', 1]]), d: new MyDate(5) })
      const got = (await c.get(key)) as { m: Map<string, number>; d: Date }
      expect(Object.getPrototypeOf(got.m)).toBe(Map.prototype)
      expect([...got.m]).toEqual([['a', 1]])
      expect(Object.getPrototypeOf(got.d)).toBe(Date.prototype)
      expect(got.d.getTime()).toBe(5)
    })

    it('random values round-trip exactly or are rejected with TypeError', async () => {
      const c = await ctx.make({ timeout: null })
      await fc.assert(
        fc.asyncProperty(cloneableValue(), async (value) => {
          const key = uniqueKey('pv')
          if (await rejectsWithTypeError(() => c.set(key, value))) {
            expect(await c.has(key)).toBe(false)
            return
          }
          expect(await c.get(key)).toStrictEqual(value)
          expect((await c.getMany([key]))[key]).toStrictEqual(value)
        }),
        { numRuns: runs, seed: 20261201 },
      )
    })
  })
}
