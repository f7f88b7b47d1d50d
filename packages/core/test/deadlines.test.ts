import { describe, expect, it } from 'vitest'
import { CacheUnavailableError } from '../src/errors.ts'
import { CallDeadlines } from '../src/deadlines.ts'

const never = new Promise<never>(() => {})
const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms))

describe('CallDeadlines (one timer for every call, rule 15)', () => {
  it('fails each unanswered call with CacheUnavailableError and lets the answered ones through', async () => {
    const d = new CallDeadlines(40, "indexeddb cache 'default'")
    const first = d.run(Promise.resolve(1), 'get')
    const stuck = d.run(never, 'set')
    const slowButIn = d.run(later(5, 'ok'), 'get')
    const failed = d.run(Promise.reject(new TypeError('bad value')), 'set').catch((x: unknown) => x)
    expect(await first).toBe(1)
    expect(await slowButIn).toBe('ok')
    expect(await failed).toBeInstanceOf(TypeError)
    const e = await stuck.catch((x: unknown) => x)
    expect(e).toBeInstanceOf(CacheUnavailableError)
    expect((e as Error).message).toBe("indexeddb cache 'default' did not answer set within 40 ms")
  })

  it('re-arms after the earliest call settled: a call started later still fails at its own deadline', async () => {
    const d = new CallDeadlines(30, "localforage cache 'x'")
    const early = d.run(later(1, 'a'), 'get')
    await later(15, null)
    const stuck = d.run(never, 'get')
    expect(await early).toBe('a')
    await expect(stuck).rejects.toBeInstanceOf(CacheUnavailableError)
    // The watchdog keeps working after it went idle.
    await expect(d.run(never, 'has')).rejects.toThrow("localforage cache 'x' did not answer has within 30 ms")
    expect(await d.run(Promise.resolve('b'), 'get')).toBe('b')
  })

  it("converts an op's own rejection, and fails late calls only after settleFirst ran", async () => {
    const order: string[] = []
    const d = new CallDeadlines(20, "redis cache 'r'", {
      settleFirst: (fail) =>
        setTimeout(() => {
          order.push('settleFirst')
          fail()
        }, 0),
      convert: (e, what) => new CacheUnavailableError(`failed ${what}: ${(e as Error).message}`),
    })
    const converted = await d.run(Promise.reject(new Error('ECONNRESET')), 'get').catch((x: unknown) => x)
    expect((converted as Error).message).toBe('failed get: ECONNRESET')
    const stuck = d.run(never, 'set').catch((x: unknown) => {
      order.push('failed')
      return x
    })
    expect(await stuck).toBeInstanceOf(CacheUnavailableError)
    expect(order).toEqual(['settleFirst', 'failed'])
  })

  it('keeps every call apart when many are pending: a stuck oldest call, the rest settling out of order', async () => {
    const d = new CallDeadlines(60, "redis cache 'r'")
    const stuck = d.run(never, 'get').catch((x: unknown) => x)
    const answered: Array<Promise<unknown>> = []
    for (let round = 0; round < 3; round++) {
      // 50 calls per round (the ring starts at 16 slots), settled in reverse order.
      const resolvers: Array<(v: number) => void> = []
      for (let i = 0; i < 50; i++) {
        answered.push(d.run(new Promise<number>((r) => resolvers.push(r)), 'get'))
      }
      for (let i = resolvers.length - 1; i >= 0; i--) (resolvers[i] as (v: number) => void)(round * 50 + i)
      await Promise.resolve()
    }
    const stuckToo = d.run(never, 'set').catch((x: unknown) => x)
    expect(await Promise.all(answered)).toEqual(Array.from({ length: 150 }, (_, i) => i))
    expect(await stuck).toBeInstanceOf(CacheUnavailableError)
    expect(((await stuckToo) as Error).message).toBe("redis cache 'r' did not answer set within 60 ms")
  })

  it('start/done: done is true once for an answered call, false for a call its deadline failed', async () => {
    const d = new CallDeadlines(20, "memcached cache 'm'")
    const failed: string[] = []
    const a = d.start('get', (e) => failed.push(`a: ${e.message}`))
    const b = d.start('get', (e) => failed.push(`b: ${e.message}`))
    expect(d.done(b)).toBe(true)
    expect(d.done(b)).toBe(false)
    await new Promise((r) => setTimeout(r, 60))
    expect(failed).toEqual(["a: memcached cache 'm' did not answer get within 20 ms"])
    expect(d.done(a)).toBe(false)
    expect(new CallDeadlines(2 ** 31, 'x').start('get', () => {})).toBe(0)
  })

  it('after a burst of 3,000 pending calls behind a stuck one, new calls still settle and fail on their own', async () => {
    const d = new CallDeadlines(40, "redis cache 'r'")
    const stuck = d.run(never, 'get').catch((x: unknown) => x)
    const resolvers: Array<(v: number) => void> = []
    const burst = Array.from({ length: 3000 }, () =>
      d.run(new Promise<number>((r) => resolvers.push(r)), 'get'),
    )
    for (const [i, r] of resolvers.entries()) r(i)
    expect((await Promise.all(burst)).length).toBe(3000)
    expect(await stuck).toBeInstanceOf(CacheUnavailableError)
    // Emptied, the ring is back to its first 16 slots (white-box: its size is not observable).
    expect((d as unknown as { slots: unknown[] }).slots.length).toBe(16)
    expect(await d.run(Promise.resolve('after'), 'get')).toBe('after')
    const ids = [d.start('get', () => {}), d.start('get', () => {})]
    expect(ids.map((id) => d.done(id))).toEqual([true, true])
    await expect(d.run(never, 'has')).rejects.toThrow("redis cache 'r' did not answer has within 40 ms")
  })
})
