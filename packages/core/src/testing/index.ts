/**
 * `@cachework/core/testing`: the shared conformance suite (CONVENTIONS "Tests"). It encodes
 * API.md §2 rule by rule with concrete values, many taken from Django's own cache tests, and
 * every backend runs it unchanged:
 *
 * ```ts
 * import { cacheConformanceSuite } from '@cachework/core/testing'
 * cacheConformanceSuite('locmem', { create: (o) => new LocMemCache({ location: uniqueName(), ...o }) })
 * ```
 */
import { describe, expect, it } from 'vitest'
import { CacheUnavailableError, InvalidCacheKey, KeyNotFoundError } from '../errors.ts'
import type { CacheEvent } from '../events.ts'
import type { Cache, CacheInit, EntryInfo } from '../types.ts'
import { tagConformanceGroup } from './tags.ts'

/** How a backend plugs into the suite. */
export interface ConformanceOptions {
  /**
   * Make a cache for one test. Each call must give a cache on a fresh, empty location (a new
   * store name, table, directory or database), with `overrides` applied to its config.
   */
  create(overrides?: CacheInit): Cache | Promise<Cache>
  /** A timeout (seconds) short enough to wait out. Default 0.2; memcached needs whole seconds. */
  shortTimeout?: number
  /** How long (ms) to wait for `shortTimeout` to have passed. Default 450. */
  expiryWaitMs?: number
  /** Whether rule 11 applies. Default true. */
  culls?: boolean
  /** Culling order: 'lru' (locmem, indexeddb) or 'expiry' (soonest to expire first). Default 'expiry'. */
  cullOrder?: 'lru' | 'expiry'
  /** False for the dummy backend, which stores nothing. Default true. */
  stores?: boolean
  /** memcached floors `decr` at 0. Default false. */
  decrFloorsAtZero?: boolean
  /** memcached rejects bad keys with `InvalidCacheKey` instead of warning. Default false. */
  rejectsBadKeys?: boolean
}

let counter = 0
/** A key unique within this run, so tests never collide. */
export function uniqueKey(label = 'k'): string {
  counter++
  return `${label}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function collect(c: Cache, opts?: { prefix?: string; limit?: number }): Promise<EntryInfo[]> {
  const out: EntryInfo[] = []
  for await (const e of c.entries(opts)) out.push(e)
  return out
}

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

/** Register the conformance suite for one backend. */
export function cacheConformanceSuite(name: string, options: ConformanceOptions): void {
  const short = options.shortTimeout ?? 0.2
  const wait = options.expiryWaitMs ?? 450
  const stores = options.stores ?? true
  const culls = (options.culls ?? true) && stores
  const make = async (o?: CacheInit): Promise<Cache> => options.create(o)

  describe(`${name}: cache conformance (API.md §2)`, () => {
    if (!stores) {
      dummySuite(make)
      return
    }

    describe('rule 1: keys', () => {
      it('makes keys as prefix:version:key', async () => {
        const c = await make()
        const p = (c as unknown as { keyPrefix?: string }).keyPrefix ?? ''
        expect(c.makeKey('foo')).toBe(`${p}:1:foo`)
        expect(c.makeKey('foo', 3)).toBe(`${p}:3:foo`)
      })
      it('uses the key prefix and version from the config', async () => {
        const c = await make({ keyPrefix: 'site1', version: 2 })
        expect(c.makeKey('foo')).toBe('site1:2:foo')
      })
      it('keeps versions apart', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'v1')
        await c.set(k, 'v2', undefined, { version: 2 })
        expect(await c.get(k)).toBe('v1')
        expect(await c.get(k, undefined, { version: 1 })).toBe('v1')
        expect(await c.get(k, undefined, { version: 2 })).toBe('v2')
        expect(await c.get(k, undefined, { version: 3 })).toBeUndefined()
      })
      it('keeps prefixes apart', async () => {
        const a = await make({ keyPrefix: uniqueKey('pa') })
        const k = uniqueKey()
        await a.set(k, 'a')
        const b = await make({ keyPrefix: uniqueKey('pb') })
        expect(await b.get(k)).toBeUndefined()
        expect(await a.get(k)).toBe('a')
      })
      it('applies a custom keyFunction', async () => {
        const c = await make({ keyFunction: (key, prefix, version) => `custom-${prefix}-${version}-${key}` })
        expect(c.makeKey('foo')).toMatch(/^custom-.*-1-foo$/)
        const k = uniqueKey()
        await c.set(k, 1)
        expect(await c.get(k)).toBe(1)
      })
    })

    describe('rule 2: key validation', () => {
      const longKey = () => `${uniqueKey()}${'a'.repeat(250)}`
      const spaceKey = () => `${uniqueKey()} with space`
      if (options.rejectsBadKeys) {
        it('rejects a key over 250 characters, a control character or space, reads included', async () => {
          const c = await make()
          for (const k of [longKey(), spaceKey(), `${uniqueKey()}\x00`, `${uniqueKey()}\x7f`]) {
            await expect(c.set(k, 1)).rejects.toBeInstanceOf(InvalidCacheKey)
            await expect(c.get(k)).rejects.toBeInstanceOf(InvalidCacheKey)
            await expect(c.has(k)).rejects.toBeInstanceOf(InvalidCacheKey)
            await expect(c.delete(k)).rejects.toBeInstanceOf(InvalidCacheKey)
          }
        })
        it('rejects a key over 250 bytes in UTF-8 even when under 250 characters', async () => {
          const c = await make()
          const k = `${uniqueKey()}${'清'.repeat(90)}`
          expect([...c.makeKey(k)].length).toBeLessThanOrEqual(250)
          await expect(c.set(k, 1)).rejects.toBeInstanceOf(InvalidCacheKey)
          await expect(c.getMany([k])).rejects.toBeInstanceOf(InvalidCacheKey)
        })
        it('accepts non-ASCII keys within 250 bytes', async () => {
          const c = await make()
          const k = `${uniqueKey()}-清-ü`
          await c.set(k, 'ok')
          expect(await c.get(k)).toBe('ok')
        })
      } else {
        it('warns (CacheKeyWarning and a warning event) for a key over 250 characters, and goes on', async () => {
          const c = await make()
          const seen: CacheEvent[] = []
          const off = c.on('warning', (e) => seen.push(e))
          const k = longKey()
          expect(await c.set(k, 'long')).toBe(true)
          expect(await c.get(k)).toBe('long')
          off()
          expect(seen.length).toBeGreaterThanOrEqual(2)
          expect(seen[0]?.message).toMatch(/longer than 250/)
          expect(seen[0]?.rawKey).toBe(c.makeKey(k))
        })
        it('warns for control characters and space, once per key, and goes on', async () => {
          const c = await make()
          const seen: CacheEvent[] = []
          const off = c.on('warning', (e) => seen.push(e))
          for (const k of [spaceKey(), `${uniqueKey()}\x00\x01`, `${uniqueKey()}\x7f`]) {
            seen.length = 0
            expect(await c.set(k, 'x')).toBe(true)
            expect(seen).toHaveLength(1)
            expect(seen[0]?.message).toMatch(/characters that will cause errors/)
            expect(await c.get(k)).toBe('x')
          }
          off()
        })
        it('does not warn for non-ASCII keys', async () => {
          const c = await make()
          const seen: CacheEvent[] = []
          const off = c.on('warning', (e) => seen.push(e))
          const k = `${uniqueKey()}-清-\u00a0`
          await c.set(k, 1)
          expect(await c.get(k)).toBe(1)
          off()
          expect(seen).toHaveLength(0)
        })
      }
    })

    describe('rule 3: timeouts', () => {
      it('a timeout of 0 leaves nothing readable and removes an older value', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'old')
        await c.set(k, 'new', 0)
        expect(await c.get(k)).toBeUndefined()
        expect(await c.has(k)).toBe(false)
      })
      it('a negative timeout expires at once', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'old', null)
        await c.set(k, 'new', -1)
        expect(await c.get(k)).toBeUndefined()
        expect(await c.add(k, 'added', -1)).toBe(true)
        expect(await c.get(k)).toBeUndefined()
      })
      it('a short timeout expires after it passes', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'short', short)
        expect(await c.get(k)).toBe('short')
        await sleep(wait)
        expect(await c.get(k)).toBeUndefined()
        expect(await c.get(k, 'dflt')).toBe('dflt')
      })
      it('null never expires and undefined uses the alias default', async () => {
        const c = await make({ timeout: short })
        const forever = uniqueKey()
        const dflt = uniqueKey()
        await c.set(forever, 'forever', null)
        await c.set(dflt, 'default')
        await sleep(wait)
        expect(await c.get(forever)).toBe('forever')
        expect(await c.get(dflt)).toBeUndefined()
      })
      it('an alias with a timeout of 0 stores nothing', async () => {
        const c = await make({ timeout: 0 })
        const k = uniqueKey()
        await c.set(k, 'x')
        expect(await c.get(k)).toBeUndefined()
      })
    })

    describe('rule 4: get and has', () => {
      it('returns undefined or the default on a miss', async () => {
        const c = await make()
        const k = uniqueKey()
        expect(await c.get(k)).toBeUndefined()
        expect(await c.get(k, 'default')).toBe('default')
        expect(await c.has(k)).toBe(false)
      })
      it('returns a stored null as null, and has() is true for it', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, null)
        expect(await c.get(k)).toBeNull()
        expect(await c.get(k, 'default')).toBeNull()
        expect(await c.has(k)).toBe(true)
      })
      it('returns a stored undefined as undefined, and has() is true for it', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, undefined)
        expect(await c.has(k)).toBe(true)
        expect(await c.get(k, 'default')).toBeUndefined()
      })
    })

    describe('rule 5: set, add, touch, delete', () => {
      it('set stores and overwrites, returning true', async () => {
        const c = await make()
        const k = uniqueKey()
        expect(await c.set(k, 'value')).toBe(true)
        expect(await c.get(k)).toBe('value')
        expect(await c.set(k, 'other')).toBe(true)
        expect(await c.get(k)).toBe('other')
      })
      it('add stores only when the key is missing', async () => {
        const c = await make()
        const k = uniqueKey()
        expect(await c.add(k, 'value')).toBe(true)
        expect(await c.add(k, 'newvalue')).toBe(false)
        expect(await c.get(k)).toBe('value')
      })
      it('add stores when the key has expired', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'old', short)
        await sleep(wait)
        expect(await c.add(k, 'new')).toBe(true)
        expect(await c.get(k)).toBe('new')
      })
      it('touch gives a live entry a new expiry', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'v', short)
        expect(await c.touch(k, null)).toBe(true)
        await sleep(wait)
        expect(await c.get(k)).toBe('v')
        expect(await c.touch(k, short)).toBe(true)
        await sleep(wait)
        expect(await c.get(k)).toBeUndefined()
      })
      it('touch with 0 expires the entry', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'v')
        expect(await c.touch(k, 0)).toBe(true)
        expect(await c.get(k)).toBeUndefined()
      })
      it('touch returns false for a missing or expired key, never throwing', async () => {
        const c = await make()
        const k = uniqueKey()
        expect(await c.touch(k)).toBe(false)
        await c.set(k, 'v', short)
        await sleep(wait)
        expect(await c.touch(k)).toBe(false)
        expect(await c.get(k)).toBeUndefined()
      })
      it('delete says whether something was removed', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'v')
        expect(await c.delete(k)).toBe(true)
        expect(await c.get(k)).toBeUndefined()
        expect(await c.delete(k)).toBe(false)
      })
    })

    describe('rule 6: getMany, setMany, deleteMany', () => {
      it('getMany returns the found keys only, under the caller keys', async () => {
        const c = await make()
        const [a, b, missing, n] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('m'), uniqueKey('n')]
        await c.set(a, 'a')
        await c.set(b, { b: 2 })
        await c.set(n, null)
        expect(await c.getMany([a, b, missing, n])).toEqual({ [a]: 'a', [b]: { b: 2 }, [n]: null })
        expect(await c.getMany([])).toEqual({})
      })
      it('getMany accepts any iterable, including a generator', async () => {
        const c = await make()
        const a = uniqueKey()
        await c.set(a, 1)
        function* gen() {
          yield a
        }
        expect(await c.getMany(gen())).toEqual({ [a]: 1 })
        expect(await c.getMany(new Set([a]))).toEqual({ [a]: 1 })
      })
      it('getMany honours the version option', async () => {
        const c = await make()
        const a = uniqueKey()
        await c.set(a, 'v2', undefined, { version: 2 })
        expect(await c.getMany([a])).toEqual({})
        expect(await c.getMany([a], { version: 2 })).toEqual({ [a]: 'v2' })
      })
      it('setMany stores a record or an iterable of pairs and returns []', async () => {
        const c = await make()
        const [a, b, d] = [uniqueKey(), uniqueKey(), uniqueKey()]
        expect(await c.setMany({ [a]: 1, [b]: 'two' })).toEqual([])
        expect(await c.setMany(new Map([[d, [3]]]))).toEqual([])
        expect(await c.getMany([a, b, d])).toEqual({ [a]: 1, [b]: 'two', [d]: [3] })
      })
      it('setMany honours the timeout', async () => {
        const c = await make()
        const [a, b] = [uniqueKey(), uniqueKey()]
        await c.setMany({ [a]: 1, [b]: 2 }, short)
        await sleep(wait)
        expect(await c.getMany([a, b])).toEqual({})
        await c.setMany({ [a]: 1 }, 0)
        expect(await c.get(a)).toBeUndefined()
      })
      it('deleteMany removes every named key', async () => {
        const c = await make()
        const [a, b, keep] = [uniqueKey(), uniqueKey(), uniqueKey()]
        await c.setMany({ [a]: 1, [b]: 2, [keep]: 3 })
        await c.deleteMany([a, b, uniqueKey('missing')])
        expect(await c.getMany([a, b, keep])).toEqual({ [keep]: 3 })
      })
    })

    describe('rule 7: incr and decr', () => {
      it('change an integer and return the new value', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 1)
        expect(await c.incr(k)).toBe(2)
        expect(await c.get(k)).toBe(2)
        expect(await c.incr(k, 10)).toBe(12)
        expect(await c.decr(k)).toBe(11)
        expect(await c.decr(k, 10)).toBe(1)
        expect(await c.get(k)).toBe(1)
      })
      it('reject a missing key with KeyNotFoundError naming the caller key', async () => {
        const c = await make()
        const k = uniqueKey('missing')
        await expect(c.incr(k)).rejects.toBeInstanceOf(KeyNotFoundError)
        await expect(c.incr(k)).rejects.toThrow(`Key '${k}' not found`)
        await expect(c.decr(k)).rejects.toThrow(`Key '${k}' not found`)
        expect(await c.has(k)).toBe(false)
      })
      it('reject a non-integer value with TypeError', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'abc')
        await expect(c.incr(k)).rejects.toBeInstanceOf(TypeError)
        expect(await c.get(k)).toBe('abc')
      })
      it('keep the entry expiry', async () => {
        const c = await make()
        const k = uniqueKey()
        const forever = uniqueKey()
        await c.set(k, 1, short)
        await c.set(forever, 1, null)
        expect(await c.incr(k)).toBe(2)
        expect(await c.incr(forever)).toBe(2)
        await sleep(wait)
        expect(await c.get(k)).toBeUndefined()
        expect(await c.get(forever)).toBe(2)
      })
      it(options.decrFloorsAtZero ? 'decr floors at 0' : 'decr goes negative', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 2)
        expect(await c.decr(k, 5)).toBe(options.decrFloorsAtZero ? 0 : -3)
      })
      it('lose nothing under concurrent increments', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 0)
        await Promise.all(Array.from({ length: 50 }, () => c.incr(k)))
        expect(await c.get(k)).toBe(50)
      })
      it('honour the version option', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 10, undefined, { version: 2 })
        expect(await c.incr(k, 1, { version: 2 })).toBe(11)
        await expect(c.incr(k)).rejects.toBeInstanceOf(KeyNotFoundError)
      })
    })

    describe('rule 8: incrVersion and decrVersion', () => {
      it('move the value to the next version and delete the old one', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'answer')
        expect(await c.incrVersion(k)).toBe(2)
        expect(await c.get(k)).toBeUndefined()
        expect(await c.get(k, undefined, { version: 2 })).toBe('answer')
        expect(await c.incrVersion(k, 3, { version: 2 })).toBe(5)
        expect(await c.get(k, undefined, { version: 5 })).toBe('answer')
        expect(await c.decrVersion(k, 1, { version: 5 })).toBe(4)
        expect(await c.get(k, undefined, { version: 4 })).toBe('answer')
        expect(await c.get(k, undefined, { version: 5 })).toBeUndefined()
      })
      it('work for a stored null', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, null)
        expect(await c.incrVersion(k)).toBe(2)
        expect(await c.has(k, { version: 2 })).toBe(true)
      })
      it('reject a missing key with KeyNotFoundError', async () => {
        const c = await make()
        const k = uniqueKey()
        await expect(c.incrVersion(k)).rejects.toBeInstanceOf(KeyNotFoundError)
        await expect(c.decrVersion(k)).rejects.toThrow(`Key '${k}' not found`)
      })
      it('keep the remaining expiry', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'v', short)
        await c.incrVersion(k)
        expect(await c.get(k, undefined, { version: 2 })).toBe('v')
        await sleep(wait)
        expect(await c.get(k, undefined, { version: 2 })).toBeUndefined()
      })
    })

    describe('rule 9: getOrSet', () => {
      it('returns the live value without computing', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'cached')
        let calls = 0
        expect(await c.getOrSet(k, () => ++calls)).toBe('cached')
        expect(calls).toBe(0)
      })
      it('stores a plain default or what a factory returns', async () => {
        const c = await make()
        const [a, b, n] = [uniqueKey(), uniqueKey(), uniqueKey()]
        expect(await c.getOrSet(a, 'plain')).toBe('plain')
        expect(await c.get(a)).toBe('plain')
        expect(await c.getOrSet(b, async () => ({ computed: true }))).toEqual({ computed: true })
        expect(await c.get(b)).toEqual({ computed: true })
        expect(await c.getOrSet(n, null)).toBeNull()
        expect(await c.has(n)).toBe(true)
      })
      it('honours the timeout and version', async () => {
        const c = await make()
        const k = uniqueKey()
        expect(await c.getOrSet(k, 'v', short, { version: 3 })).toBe('v')
        expect(await c.get(k, undefined, { version: 3 })).toBe('v')
        expect(await c.get(k)).toBeUndefined()
        await sleep(wait)
        expect(await c.get(k, undefined, { version: 3 })).toBeUndefined()
      })
      it('runs one computation for concurrent callers', async () => {
        const c = await make()
        const k = uniqueKey()
        let calls = 0
        const factory = async () => {
          calls++
          await sleep(50)
          return { n: 42 }
        }
        const results = await Promise.all(Array.from({ length: 20 }, () => c.getOrSet(k, factory)))
        expect(calls).toBe(1)
        for (const r of results)
          expect(r).toEqual({ n: 42 })
          // Every caller gets its own copy.
        ;(results[0] as { n: number }).n = 0
        expect(results[1]).toEqual({ n: 42 })
      })
      it('stores nothing and rejects every waiter when the factory throws', async () => {
        const c = await make()
        const k = uniqueKey()
        let calls = 0
        const factory = async () => {
          calls++
          await sleep(20)
          throw new Error('boom')
        }
        const all = await Promise.allSettled(Array.from({ length: 5 }, () => c.getOrSet(k, factory)))
        expect(calls).toBe(1)
        for (const r of all) {
          expect(r.status).toBe('rejected')
          expect((r as PromiseRejectedResult).reason.message).toBe('boom')
        }
        expect(await c.has(k)).toBe(false)
        expect(await c.getOrSet(k, 'later')).toBe('later')
      })
    })

    describe('rule 10: clear and close', () => {
      it('clear empties the cache', async () => {
        const c = await make()
        const [a, b] = [uniqueKey(), uniqueKey()]
        await c.setMany({ [a]: 1, [b]: 2 })
        await c.clear()
        expect(await c.getMany([a, b])).toEqual({})
        expect(await collect(c)).toEqual([])
      })
      it('a closed cache reopens on next use', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 'before')
        await c.close()
        expect(await c.get(k)).toBe('before')
        await c.set(k, 'after')
        await c.close()
        await c.close()
        expect(await c.get(k)).toBe('after')
      })
    })

    if (culls) {
      describe('rule 11: culling', () => {
        const fill = async (c: Cache, n: number, prefix: string) => {
          for (let i = 0; i < n; i++) await c.set(`${prefix}${i}`, i)
        }
        it('49 new keys with maxEntries 30 and cullFrequency 3 leave 29, the newest present', async () => {
          const c = await make({ options: { maxEntries: 30, cullFrequency: 3 } })
          await fill(c, 49, 'cull')
          expect((await collect(c)).length).toBe(29)
          expect(await c.get('cull48')).toBe(48)
        })
        it('cullFrequency 0 empties the store when full', async () => {
          const c = await make({ options: { maxEntries: 30, cullFrequency: 0 } })
          await fill(c, 49, 'zero')
          expect((await collect(c)).length).toBe(19)
          expect(await c.get('zero48')).toBe(48)
        })
        it('overwriting a live key never culls', async () => {
          const c = await make({ options: { maxEntries: 10, cullFrequency: 2 } })
          await fill(c, 10, 'ow')
          for (let i = 0; i < 10; i++) await c.set(`ow${i}`, i * 2)
          expect((await collect(c)).length).toBe(10)
          expect(await c.get('ow0')).toBe(0)
          expect(await c.get('ow9')).toBe(18)
        })
        it('expired entries go first', async () => {
          const c = await make({ options: { maxEntries: 10, cullFrequency: 3 } })
          for (let i = 0; i < 5; i++) await c.set(`exp${i}`, i, short)
          for (let i = 0; i < 5; i++) await c.set(`live${i}`, i, null)
          await sleep(wait)
          await c.set('newcomer', 1)
          const keys = (await collect(c)).map((e) => e.key).sort()
          expect(keys).toEqual(['live0', 'live1', 'live2', 'live3', 'live4', 'newcomer'])
        })
        it('emits evict events and counts evictions', async () => {
          const c = await make({ options: { maxEntries: 9, cullFrequency: 3 } })
          const evicted: CacheEvent[] = []
          const off = c.on('evict', (e) => evicted.push(e))
          await fill(c, 10, 'ev')
          off()
          expect(evicted.length).toBe(3)
          expect(c.stats().evictions).toBe(3)
        })
        if (options.cullOrder === 'lru') {
          it('removes the least recently used first (get and set count as use)', async () => {
            const c = await make({ options: { maxEntries: 9, cullFrequency: 3 } })
            await fill(c, 9, 'lru')
            await c.get('lru0')
            await c.set('lru1', 'again')
            await c.incr('lru2')
            await c.set('lru-new', 1)
            const keys = new Set((await collect(c)).map((e) => e.key))
            expect(keys.has('lru0')).toBe(true)
            expect(keys.has('lru1')).toBe(true)
            expect(keys.has('lru2')).toBe(true)
            expect(keys.has('lru3')).toBe(false)
            expect(keys.has('lru4')).toBe(false)
            expect(keys.has('lru5')).toBe(false)
            expect(keys.size).toBe(7)
          })
        } else {
          it('removes the soonest to expire first', async () => {
            const c = await make({ options: { maxEntries: 9, cullFrequency: 3 } })
            for (let i = 0; i < 9; i++) await c.set(`soon${i}`, i, i < 3 ? 1000 + i : 5000 + i)
            await c.set('soon-new', 1, 9000)
            const keys = new Set((await collect(c)).map((e) => e.key))
            for (let i = 0; i < 3; i++) expect(keys.has(`soon${i}`)).toBe(false)
            for (let i = 3; i < 9; i++) expect(keys.has(`soon${i}`)).toBe(true)
            expect(keys.has('soon-new')).toBe(true)
          })
        }
      })
    }

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
        await c.set(k, new Thing())
        const back = (await c.get(k)) as Record<string, unknown>
        expect({ ...back }).toEqual({ a: 1, b: 'two' })
        expect(back).not.toBeInstanceOf(Thing)
      })
      it('rejects a function or symbol anywhere in the value with TypeError', async () => {
        const c = await make()
        const k = uniqueKey()
        await expect(c.set(k, () => 1)).rejects.toBeInstanceOf(TypeError)
        await expect(c.set(k, { nested: [1, { f() {} }] })).rejects.toBeInstanceOf(TypeError)
        await expect(c.set(k, Symbol('s'))).rejects.toBeInstanceOf(TypeError)
        await expect(c.set(k, { s: Symbol('s') })).rejects.toBeInstanceOf(TypeError)
        await expect(c.set(k, new Map([['f', () => 1]]))).rejects.toBeInstanceOf(TypeError)
        await expect(c.add(k, [Symbol.iterator])).rejects.toBeInstanceOf(TypeError)
        await expect(c.setMany({ [k]: () => 1 })).rejects.toBeInstanceOf(TypeError)
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

    describe('rule 13: events and stats', () => {
      it('emits hit, miss, set and delete with alias, backend, key, raw key, version and time', async () => {
        const c = await make()
        const k = uniqueKey()
        const seen: CacheEvent[] = []
        const off = c.on('*', (e) => seen.push(e))
        const before = Date.now()
        await c.get(k)
        await c.set(k, 1)
        await c.get(k)
        await c.delete(k)
        off()
        expect(seen.map((e) => e.type)).toEqual(['miss', 'set', 'hit', 'delete'])
        for (const e of seen) {
          expect(e.alias).toBe(c.alias)
          expect(e.backend).toBe(c.backendName)
          expect(e.key).toBe(k)
          expect(e.rawKey).toBe(c.makeKey(k))
          expect(e.version).toBe(1)
          expect(e.at).toBeGreaterThanOrEqual(before - 1000)
        }
      })
      it('listens per type and stops after unsubscribe', async () => {
        const c = await make()
        const k = uniqueKey()
        const hits: CacheEvent[] = []
        const off = c.on('hit', (e) => hits.push(e))
        await c.set(k, 1)
        await c.get(k)
        await c.get(uniqueKey())
        off()
        await c.get(k)
        expect(hits).toHaveLength(1)
      })
      it('emits expire when a read finds an entry expired', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 1, short)
        const seen: CacheEvent[] = []
        const off = c.on('expire', (e) => seen.push(e))
        await sleep(wait)
        await c.get(k)
        off()
        // Servers that expire entries themselves (memcached) cannot tell; the others must.
        if ((c as { backendName: string }).backendName !== 'memcached') {
          expect(seen.map((e) => e.key)).toEqual([k])
        }
      })
      it('counts hits, misses, sets and deletes since creation', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.get(k)
        await c.set(k, 1)
        await c.get(k)
        await c.get(k)
        await c.getMany([k, uniqueKey()])
        await c.delete(k)
        expect(c.stats()).toMatchObject({ hits: 3, misses: 2, sets: 1, deletes: 1, errors: 0 })
      })
      it('a listener that throws does not break the operation', async () => {
        const c = await make()
        const off = c.on('set', () => {
          throw new Error('listener')
        })
        expect(await c.set(uniqueKey(), 1)).toBe(true)
        off()
      })
    })

    describe('rule 14: entries', () => {
      it('yields every live entry with key, version, expiry and value', async () => {
        const c = await make()
        const [a, b] = [uniqueKey('ea'), uniqueKey('eb')]
        await c.set(a, { x: 1 }, null)
        await c.set(b, 'bee', 100, { version: 2 })
        await c.set(uniqueKey('gone'), 1, 0)
        const all = await collect(c)
        const byKey = new Map(all.map((e) => [e.key, e]))
        expect(byKey.get(a)).toMatchObject({ rawKey: c.makeKey(a), key: a, version: 1, expiresAt: null })
        expect(byKey.get(b)).toMatchObject({ rawKey: c.makeKey(b, 2), key: b, version: 2 })
        const exp = byKey.get(b)?.expiresAt as number
        expect(exp).toBeGreaterThan(Date.now() + 90_000)
        expect(exp).toBeLessThan(Date.now() + 110_000)
        if (byKey.get(a)?.value !== undefined) expect(byKey.get(a)?.value).toEqual({ x: 1 })
        expect(all).toHaveLength(2)
      })
      it('filters by caller-key prefix and honours limit', async () => {
        const c = await make()
        const p = uniqueKey('pre')
        await c.setMany({ [`${p}-1`]: 1, [`${p}-2`]: 2, [uniqueKey('other')]: 3 })
        expect((await collect(c, { prefix: p })).map((e) => e.key).sort()).toEqual([`${p}-1`, `${p}-2`])
        expect(await collect(c, { prefix: p, limit: 1 })).toHaveLength(1)
      })
      it('leaves out expired entries', async () => {
        const c = await make()
        const k = uniqueKey()
        await c.set(k, 1, short)
        await sleep(wait)
        expect((await collect(c)).map((e) => e.key)).not.toContain(k)
      })
    })

    tagConformanceGroup(make)
  })
}

function dummySuite(make: (o?: CacheInit) => Promise<Cache>): void {
  it('stores nothing: every read misses', async () => {
    const c = await make()
    const k = uniqueKey()
    expect(await c.set(k, 'v')).toBe(true)
    expect(await c.get(k)).toBeUndefined()
    expect(await c.get(k, 'dflt')).toBe('dflt')
    expect(await c.has(k)).toBe(false)
    expect(await c.add(k, 'v')).toBe(true)
    expect(await c.getMany([k])).toEqual({})
    expect(await c.setMany({ [k]: 1 })).toEqual([])
    await c.deleteMany([k])
    expect(await c.touch(k)).toBe(false)
    expect(await c.delete(k)).toBe(false)
    await c.clear()
    await c.close()
  })
  it('incr and incrVersion find no key', async () => {
    const c = await make()
    const k = uniqueKey()
    await c.set(k, 1)
    await expect(c.incr(k)).rejects.toThrow(`Key '${k}' not found`)
    await expect(c.decr(k)).rejects.toBeInstanceOf(KeyNotFoundError)
    await expect(c.incrVersion(k)).rejects.toBeInstanceOf(KeyNotFoundError)
  })
  it('getOrSet returns the computed value every time', async () => {
    const c = await make()
    let calls = 0
    expect(await c.getOrSet(uniqueKey(), () => ++calls)).toBe(1)
    expect(await c.getOrSet(uniqueKey(), () => ++calls)).toBe(2)
  })
  it('still makes and validates keys and values', async () => {
    const c = await make()
    expect(c.makeKey('foo')).toMatch(/:1:foo$/)
    const seen: CacheEvent[] = []
    const off = c.on('warning', (e) => seen.push(e))
    await c.set(`${uniqueKey()} space`, 1)
    off()
    expect(seen).toHaveLength(1)
    await expect(c.set(uniqueKey(), () => 1)).rejects.toBeInstanceOf(TypeError)
  })
  it('counts misses and lists no entries', async () => {
    const c = await make()
    await c.get(uniqueKey())
    expect(c.stats().misses).toBe(1)
    const all: EntryInfo[] = []
    for await (const e of c.entries()) all.push(e)
    expect(all).toEqual([])
  })
}

/**
 * Assert reads answered a miss and reported an error, for backends' fault tests (rule 15). A hang
 * fails the calling test through its own timeout; no wall-clock time is asserted here.
 */
export async function expectMissOnFailure(c: Cache, key: string): Promise<void> {
  const errors: CacheEvent[] = []
  const off = c.on('error', (e) => errors.push(e))
  expect(await c.get(key, 'miss')).toBe('miss')
  expect(await c.has(key)).toBe(false)
  expect(await c.getMany([key])).toEqual({})
  off()
  expect(errors.length).toBeGreaterThan(0)
}

/** Assert a write rejected with `CacheUnavailableError` (rule 15). */
export async function expectWriteUnavailable(c: Cache, key: string): Promise<void> {
  await expect(c.set(key, 1)).rejects.toBeInstanceOf(CacheUnavailableError)
}
