/**
 * Model-based checks (fast-check), run by every backend of the suite (docs/contract.md rules 3–8,
 * 10): random timeouts behave as rule 3 says, and random operation sequences
 * (set/add/get/getMany/delete/touch/incr/incrVersion/clear, on the injected clock where the
 * backend takes one) agree with a small reference model.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../types.ts'
import { type SuiteContext, uniqueKey } from './context.ts'

/** Register this group's tests for the caches `ctx` makes. */
export function modelRules(ctx: SuiteContext): void {
  const runs = ctx.options.propertyRuns ?? 20
  describe('model-based checks (fast-check, rules 3-8, 10)', () => {
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
