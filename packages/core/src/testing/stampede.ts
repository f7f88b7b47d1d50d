/**
 * Rule 16 (stampede protection, soft expiry, leases). A group of `cacheConformanceSuite`
 * (docs/contract.md rule 16), run by every storing backend. A fresh lifetime of 0.3 s is soft
 * (kept in the envelope, ms precision), so one short wait makes an entry stale on every backend,
 * memcached's whole seconds included; on a fake clock the wait is a clock move. Outcomes are
 * counted (factory runs, events), never timed.
 */
import { describe, expect, it } from 'vitest'
import { ENVELOPE_MARK } from '../envelope.ts'
import type { CacheEvent } from '../events.ts'
import type { Cache } from '../types.ts'
import { eventually, type SuiteContext, sleep, uniqueKey } from './context.ts'

const key = uniqueKey

function deferred<T>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** A cache with leases, as every `BaseCache` has (rule 16). */
interface Leasing extends Cache {
  acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined>
  releaseLease(rawKey: string, token: string): Promise<void>
}

/** Fresh lifetime (s) and the wait (ms) that makes it stale, on every backend. */
const FRESH = 0.3
const STALE_WAIT = 400

/** Register this group's tests for the caches `ctx` makes. */
export function stampedeRules(ctx: SuiteContext): void {
  const { make } = ctx
  // Let the 0.3 s fresh lifetime pass: move the fake clock, or sleep.
  const staleWait = () => ctx.pass(STALE_WAIT)
  describe('rule 16: stampede protection and soft expiry', () => {
    it('staleWhileRevalidate: every caller gets the stale value while one refresh runs', async () => {
      const c = await make()
      const k = key('swr')
      const opts = { staleWhileRevalidate: 30 }
      expect(await c.getOrSet(k, 'v1', FRESH, opts)).toBe('v1')
      await staleWait()
      expect(await c.get(k)).toBeUndefined()
      const gate = deferred<string>()
      let runs = 0
      const factory = () => {
        runs++
        return gate.promise
      }
      const stale: CacheEvent[] = []
      const off = c.on('stale', (e) => stale.push(e))
      const answers = await Promise.all(Array.from({ length: 8 }, () => c.getOrSet(k, factory, 60, opts)))
      off()
      expect(answers).toEqual(Array(8).fill('v1'))
      expect(runs).toBe(1)
      expect(stale.length).toBe(8)
      gate.resolve('v2')
      expect(await eventually(() => c.get(k), 'v2')).toBe('v2')
      expect(await c.getOrSet(k, factory, 60, opts)).toBe('v2')
      expect(runs).toBe(1)
    })

    it('staleIfError: a failing factory returns the stale value and emits error', async () => {
      const c = await make()
      const k = key('sie')
      await c.getOrSet(k, { good: true }, FRESH, { staleIfError: 30 })
      await staleWait()
      const errors: CacheEvent[] = []
      const off = c.on('error', (e) => errors.push(e))
      const got = await c.getOrSet(k, () => Promise.reject(new Error('factory failed')), 60, {
        staleIfError: 30,
      })
      off()
      expect(got).toEqual({ good: true })
      expect(errors.map((e) => e.message)).toEqual(['factory failed'])
    })

    it('expire marks an entry stale: get and has miss it, getOrSet with SWR serves it once more', async () => {
      const c = await make()
      const k = key('expire')
      await c.set(k, 'before', 60)
      expect(await c.expire(k)).toBe(true)
      expect(await c.get(k)).toBeUndefined()
      expect(await c.has(k)).toBe(false)
      expect(await c.getOrSet(k, () => 'after', 60, { staleWhileRevalidate: 60 })).toBe('before')
      expect(await eventually(() => c.get(k), 'after')).toBe('after')
      expect(await c.expire(key('missing'))).toBe(false)
    })

    it("lock: 'distributed' runs the factory once for concurrent callers", async () => {
      const c = await make()
      const k = key('dist')
      let runs = 0
      const factory = async () => {
        runs++
        await sleep(30)
        return 'once'
      }
      const all = await Promise.all(
        Array.from({ length: 10 }, () => c.getOrSet(k, factory, 60, { lock: 'distributed' })),
      )
      expect(all).toEqual(Array(10).fill('once'))
      expect(runs).toBe(1)
      // The lease is gone once the value is stored: another key-holder can take it at once.
      const raw = c.makeKey(k)
      const t = await (c as Leasing).acquireLease(raw, 2000)
      expect(t).toBeTypeOf('string')
      await (c as Leasing).releaseLease(raw, t as string)
    })

    it('a lease is exclusive until released by its own token', async () => {
      const c = (await make()) as Leasing
      const raw = c.makeKey(key('lease'))
      const t1 = await c.acquireLease(raw, 5000)
      expect(t1).toBeTypeOf('string')
      expect(await c.acquireLease(raw, 5000)).toBeUndefined()
      await c.releaseLease(raw, 'not-the-holder')
      expect(await c.acquireLease(raw, 5000)).toBeUndefined()
      await c.releaseLease(raw, t1 as string)
      const t2 = await c.acquireLease(raw, 5000)
      expect(t2).toBeTypeOf('string')
      expect(t2).not.toBe(t1)
      await c.releaseLease(raw, t2 as string)
    })

    it('a plain value shaped like an envelope round-trips exactly', async () => {
      const c = await make()
      const k = key('lookalike')
      const v = { [ENVELOPE_MARK]: 1, value: 'inner', softExpiresAt: 1 }
      await c.set(k, v, 60)
      expect(await c.get(k)).toEqual(v)
      expect(await c.getOrSet(k, 'other', 60)).toEqual(v)
    })
  })
}
