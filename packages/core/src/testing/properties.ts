/**
 * Property-based and model-based checks (fast-check), run by every backend of the suite
 * (docs/contract.md rules 3, 4–8, 12). Random values either round-trip exactly or are rejected
 * with `TypeError`, never stored and changed; random keys (any Unicode, `__proto__`,
 * ill-formed strings) behave the same through `get`, `getMany`, `has` and `delete`, or are
 * rejected by every one of them; random operation sequences agree with a small reference model
 * (on the injected clock where the backend takes one). Run counts are small and fixed per
 * backend (`propertyRuns`) so the whole suite stays fast; shrunk counterexamples found so far
 * are kept below as plain regression cases.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../types.ts'
import { type SuiteContext, uniqueKey } from './context.ts'

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

/** What each of the key operations did with one key: a value, a miss, or a rejection. */
async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await f() }
  } catch (e) {
    return { rejected: (e as Error).name }
  }
}

/** Register this group's tests for the caches `ctx` makes. */
export function propertyRules(ctx: SuiteContext): void {
  const runs = ctx.options.propertyRuns ?? 20
  describe('properties (fast-check)', () => {
    it('getMany with __proto__ among the keys: own properties only, never a prototype (D4)', async () => {
      const c = await ctx.make()
      await c.set('__proto__', 5)
      await c.set('obj', { polluted: true })
      const got = await c.getMany(['__proto__', 'obj', 'missing'])
      expect(Object.keys(got).sort()).toEqual(['__proto__', 'obj'])
      expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toBe(5)
      expect(Object.getPrototypeOf(got) === Object.prototype || Object.getPrototypeOf(got) === null).toBe(
        true,
      )
      expect('missing' in got).toBe(false)
      expect('polluted' in got).toBe(false)
      await c.set('__proto__', { polluted: true })
      const again = await c.getMany(['__proto__', 'missing'])
      expect('missing' in again).toBe(false)
      expect((again as Record<string, unknown>).polluted).toBeUndefined()
    })

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

    it('incr past 2^53 rejects with RangeError and never leaves a rounded number (D5)', async () => {
      const c = await ctx.make({ timeout: null })
      const big = uniqueKey('big')
      await c.set(big, 2 ** 53 - 10)
      await c.incr(big, 5)
      expect(await c.get(big)).toBe(2 ** 53 - 5)
      await expect(c.incr(big, 10)).rejects.toBeInstanceOf(RangeError)
      // locmem, file, db refuse before writing; memcached and redis count natively and hold the exact value.
      expect([2 ** 53 - 5, 2n ** 53n + 5n]).toContainEqual(await c.get(big))
    })

    it('a per-call version must be an integer', async () => {
      const c = await ctx.make()
      await c.set('v', 1)
      for (const version of ['2', Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
        await expect(c.incrVersion('v', 1, { version: version as number })).rejects.toBeInstanceOf(TypeError)
        await expect(c.get('v', undefined, { version: version as number })).rejects.toBeInstanceOf(TypeError)
      }
      expect(await c.get('v')).toBe(1)
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

    it('random keys behave the same through get, getMany, has and delete, or are rejected by all', async () => {
      const c = await ctx.make({ timeout: null })
      const keyArb = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.string({
          unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)),
          maxLength: 3,
        }),
        fc.constantFrom('__proto__', 'constructor', 'toString', 's\ud800', 's\ufffd'),
      )
      await fc.assert(
        fc.asyncProperty(keyArb, async (raw) => {
          const key = `${uniqueKey('pk')}${raw}`
          const set = await outcome(() => c.set(key, 'v'))
          const get = await outcome(() => c.get(key))
          const many = await outcome(async () => (await c.getMany([key]))[key])
          const has = await outcome(() => c.has(key))
          if ('rejected' in (set as object)) {
            for (const o of [get, many, has]) expect(o).toEqual(set)
            return
          }
          expect(set).toEqual({ ok: true })
          expect(get).toEqual({ ok: 'v' })
          expect(many).toEqual({ ok: 'v' })
          expect(has).toEqual({ ok: true })
          expect(await c.delete(key)).toBe(true)
          expect(await c.has(key)).toBe(false)
        }),
        { numRuns: runs, seed: 20261202 },
      )
    })

    it('random timeouts behave as rule 3 says', async () => {
      const c = await ctx.make()
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.double({ min: -1e6, max: 0, noNaN: true }),
            fc.double({ min: 1, max: 1e12, noNaN: true }),
            fc.constant(null),
          ),
          async (timeout) => {
            const key = uniqueKey('pt')
            expect(await c.set(key, 'v', timeout)).toBe(true)
            const live = timeout === null || timeout > 0
            expect(await c.get(key)).toBe(live ? 'v' : undefined)
          },
        ),
        { numRuns: runs, seed: 20261203 },
      )
    })

    it('random operation sequences agree with a reference model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(modelCommands(ctx), { maxCommands: 14 }), async (cmds) => {
          const c = await ctx.make({ timeout: null })
          const model: Model = { entries: new Map() }
          await fc.asyncModelRun(() => ({ model, real: { cache: c, ctx } }), cmds)
        }),
        { numRuns: Math.max(5, Math.floor(runs / 2)), seed: 20261204 },
      )
    })
  })
}

/** The reference model: live entries with their expiry (epoch ms on the test clock, or null). */
interface Model {
  entries: Map<string, { value: unknown; expiresAt: number | null }>
}
interface Real {
  cache: Cache
  ctx: SuiteContext
}
type Cmd = fc.AsyncCommand<Model, Real>

const KEYS = ['a', 'b', '__proto__', 'n']

/** The model's name for `k` at `version` (the alias's own version, 1, is the plain key). */
const at = (k: string, version: number): string => (version === 1 ? k : `${k}@v${version}`)

function live(m: Model, k: string, now: number): { value: unknown } | undefined {
  const e = m.entries.get(k)
  if (e === undefined) return undefined
  if (e.expiresAt !== null && e.expiresAt <= now) {
    m.entries.delete(k)
    return undefined
  }
  return e
}

function modelCommands(ctx: SuiteContext): fc.Arbitrary<Cmd>[] {
  // Expiry is only modelled on an injected clock; on a real clock entries never expire here.
  const now = (): number => ctx.clock?.now() ?? 0
  const timeout = ctx.clock ? fc.constantFrom<number | null>(null, 1, 5) : fc.constant<number | null>(null)
  const exp = (t: number | null): number | null =>
    t === null || ctx.clock === undefined ? null : now() + t * 1000
  const key = fc.constantFrom(...KEYS)
  const value = fc.oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.string({ maxLength: 4 }),
    fc.constant(null),
  )
  const cmd = (name: string, check: (m: Model, r: Real) => Promise<void>): Cmd => ({
    check: () => true,
    run: check,
    toString: () => name,
  })
  const cmds: fc.Arbitrary<Cmd>[] = [
    fc.tuple(key, value, timeout).map(([k, v, t]) =>
      cmd(`set(${k}, ${JSON.stringify(v)}, ${t})`, async (m, r) => {
        expect(await r.cache.set(k, v, t)).toBe(true)
        m.entries.set(k, { value: v, expiresAt: exp(t) })
      }),
    ),
    fc.tuple(key, value).map(([k, v]) =>
      cmd(`add(${k}, ${JSON.stringify(v)})`, async (m, r) => {
        const stored = live(m, k, now()) === undefined
        expect(await r.cache.add(k, v, null)).toBe(stored)
        if (stored) m.entries.set(k, { value: v, expiresAt: null })
      }),
    ),
    key.map((k) =>
      cmd(`get(${k})`, async (m, r) => {
        expect(await r.cache.get(k)).toEqual(live(m, k, now())?.value)
      }),
    ),
    fc.constant(
      cmd('getMany(all)', async (m, r) => {
        const got = await r.cache.getMany(KEYS)
        const want: Record<string, unknown> = {}
        for (const k of KEYS) {
          const e = live(m, k, now())
          if (e)
            Object.defineProperty(want, k, {
              value: e.value,
              enumerable: true,
              writable: true,
              configurable: true,
            })
        }
        expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort())
        for (const k of Object.keys(want))
          expect(Object.getOwnPropertyDescriptor(got, k)?.value).toEqual(want[k])
      }),
    ),
    key.map((k) =>
      cmd(`delete(${k})`, async (m, r) => {
        const was = live(m, k, now()) !== undefined
        expect(await r.cache.delete(k)).toBe(was)
        m.entries.delete(k)
      }),
    ),
    fc.tuple(key, timeout).map(([k, t]) =>
      cmd(`touch(${k}, ${t})`, async (m, r) => {
        const e = live(m, k, now())
        expect(await r.cache.touch(k, t)).toBe(e !== undefined)
        if (e) m.entries.set(k, { value: e.value, expiresAt: exp(t) })
      }),
    ),
    fc.tuple(key, fc.integer({ min: -50, max: 50 })).map(([k, d]) =>
      cmd(`incr(${k}, ${d})`, async (m, r) => {
        const e = live(m, k, now())
        const call = r.cache.incr(k, d)
        if (e === undefined) {
          await expect(call).rejects.toMatchObject({ name: 'KeyNotFoundError' })
        } else if (typeof e.value !== 'number' || !Number.isInteger(e.value)) {
          await expect(call).rejects.toBeTruthy()
        } else {
          let next = e.value + d
          if (next < 0 && r.ctx.options.decrFloorsAtZero) next = d < 0 ? 0 : next
          if (e.value < 0 && r.ctx.options.decrFloorsAtZero) return void (await call.catch(() => {}))
          expect(await call).toBe(next)
          m.entries.set(k, {
            value: next,
            expiresAt: (m.entries.get(k) as { expiresAt: number | null }).expiresAt,
          })
        }
      }),
    ),
    fc.tuple(key, fc.constantFrom(1, 2), fc.constantFrom(1, 2)).map(([k, v, d]) =>
      cmd(`incrVersion(${k}, ${d}, { version: ${v} })`, async (m, r) => {
        // Rule 8: the value moves to version v + d with its expiry; the old version is gone.
        const e = live(m, at(k, v), now())
        const call = r.cache.incrVersion(k, d, { version: v })
        if (e === undefined) {
          await expect(call).rejects.toMatchObject({ name: 'KeyNotFoundError' })
          return
        }
        expect(await call).toBe(v + d)
        m.entries.delete(at(k, v))
        m.entries.set(at(k, v + d), { ...(e as { value: unknown; expiresAt: number | null }) })
      }),
    ),
    fc.tuple(key, fc.constantFrom(1, 2, 3)).map(([k, v]) =>
      cmd(`get(${k}, { version: ${v} })`, async (m, r) => {
        expect(await r.cache.get(k, undefined, { version: v })).toEqual(live(m, at(k, v), now())?.value)
      }),
    ),
    fc.constant(
      cmd('clear()', async (m, r) => {
        await r.cache.clear()
        m.entries.clear()
      }),
    ),
  ]
  if (ctx.clock) {
    cmds.push(
      fc.integer({ min: 1, max: 6000 }).map((ms) =>
        cmd(`advance(${ms})`, async () => {
          ctx.clock?.advance(ms)
        }),
      ),
    )
  }
  return cmds
}
