import { CacheUnavailableError } from '@cachework/core'
import { describe, expect, it } from 'vitest'
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
})
