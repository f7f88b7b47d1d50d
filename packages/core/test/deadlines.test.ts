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
})
