/**
 * The public API's types (value-types.ts, types.ts, registry.ts): `get(key, default)` typed by
 * the default, a value type per cache, backend names and options typed so typos fail to
 * compile, values no backend can store refused by the type. Each `@ts-expect-error` line is a
 * test: `tsc -b` (npm test's typecheck) fails with "Unused '@ts-expect-error' directive" the
 * day that line compiles. The few run-time tests check that the typed calls do what they say.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type Cache,
  type CacheConfig,
  type CacheRegistry,
  type CachesConfig,
  createCaches,
  LocMemCache,
  type NotStorable,
  type StorableValue,
  type ValueOrDefault,
} from '../src/index.ts'

interface Session {
  user: string
  seen: Date
  roles: Set<string>
}

class WithMethods {
  n = 1
  twice(): number {
    return this.n * 2
  }
}

// Never called: its body is checked by tsc, and runs nothing.
async function compileOnly(cache: Cache, sessions: Cache<Session>): Promise<void> {
  // get: the value type, or the default's type.
  expectTypeOf(await cache.get('k')).toEqualTypeOf<unknown>()
  expectTypeOf(await cache.get('k', 'fallback')).toEqualTypeOf<string>()
  expectTypeOf(await cache.get('k', 0)).toEqualTypeOf<number>()
  expectTypeOf(await cache.get<number>('k')).toEqualTypeOf<number | undefined>()
  expectTypeOf(await cache.get<number>('k', 0)).toEqualTypeOf<number>()
  expectTypeOf(await cache.get<string>('k', undefined, { version: 2 })).toEqualTypeOf<string | undefined>()
  expectTypeOf(await sessions.get('s')).toEqualTypeOf<Session | undefined>()
  expectTypeOf(await sessions.get('s', null)).toEqualTypeOf<Session | null>()
  expectTypeOf(await sessions.getMany(['a'])).toEqualTypeOf<Record<string, Session>>()
  expectTypeOf(
    await sessions.getOrSet('s', () => ({ user: 'a', seen: new Date(), roles: new Set<string>() })),
  ).toEqualTypeOf<Session>()
  // @ts-expect-error a default of another type than the one asked for
  await cache.get<number>('k', 'zero')

  // set/add/setMany: what a backend can store, of the cache's value type.
  await cache.set('k', { a: [1, 2n, null, undefined, new Date(), /x/, new Map([[1, new Set(['a'])]])] })
  await cache.set('k', new Uint8Array(4))
  await cache.set('k', new Error('kept'))
  await cache.setMany({ a: 1, b: 'two' })
  await cache.setMany([['a', 1]])
  await cache.setMany(new Map([['a', 1]]))
  await sessions.set('s', { user: 'a', seen: new Date(), roles: new Set() })
  // @ts-expect-error a function
  await cache.set('k', () => 1)
  // @ts-expect-error a symbol
  await cache.add('k', Symbol('s'))
  // @ts-expect-error a promise: await it first
  await cache.set('k', Promise.resolve(1))
  // @ts-expect-error a function deep inside
  await cache.set('k', { a: { b: [() => 1] } })
  // @ts-expect-error a function as a Map value
  await cache.set('k', new Map([['f', () => 1]]))
  // @ts-expect-error a WeakMap
  await cache.set('k', new WeakMap())
  // @ts-expect-error an instance whose methods would not come back
  await cache.set('k', new WithMethods())
  // @ts-expect-error a function among many
  await cache.setMany({ a: 1, f: () => 2 })
  // @ts-expect-error not a Session
  await sessions.set('s', { user: 1 })
  // @ts-expect-error not Sessions
  await sessions.setMany({ a: { user: 'a' } })
  const fromJs: unknown = () => 1
  await cache.set('k', fromJs) // unknown passes: the run-time check (rule 12) applies

  // Config: backend names and their options.
  const ok: CachesConfig = {
    default: { backend: 'locmem', options: { maxEntries: 10, isolate: false } },
    django: { BACKEND: 'django.core.cache.backends.locmem.LocMemCache', OPTIONS: { MAX_ENTRIES: 10 } },
    none: { backend: 'dummy', timeout: null },
    both: { backend: 'tiered', options: { tiers: ['default', { backend: 'locmem' }] } },
    mine: { backend: LocMemCache, options: { anything: 1 } },
  }
  // @ts-expect-error a misspelt backend
  const typo: CacheConfig = { backend: 'locmen' }
  // @ts-expect-error a misspelt option
  const option: CacheConfig = { backend: 'locmem', options: { maxEntires: 10 } }
  // @ts-expect-error another backend's option (memcached's retryMs is not locmem's)
  const foreign: CacheConfig = { backend: 'locmem', options: { maxEntries: 1, retryMs: 5 } }
  // @ts-expect-error a misspelt field
  const field: CacheConfig = { backend: 'locmem', locaton: 'x' }
  // @ts-expect-error a misspelt upper-case option
  const upper: CacheConfig = { BACKEND: 'dummy', OPTIONS: { MAX_ENTRIE: 3 } }

  // Registries: aliases typed by the config's keys; a value type per alias.
  const reg = createCaches({ default: { backend: 'locmem' }, sessions: { backend: 'locmem' } })
  expectTypeOf(reg).toEqualTypeOf<CacheRegistry<Record<'default' | 'sessions', unknown>>>()
  expectTypeOf(reg.get<Session>('sessions')).toEqualTypeOf<Cache<Session>>()
  expectTypeOf(reg.aliases()).toEqualTypeOf<Array<'default' | 'sessions'>>()
  // @ts-expect-error a misspelt alias
  reg.get('sesions')
  // @ts-expect-error a bad option passed to createCaches
  createCaches({ a: { backend: 'locmem', options: { maxEntires: 1 } } })
  // A typed cache goes wherever a Cache does.
  const anyCache: Cache = sessions
  void [ok, typo, option, foreign, field, upper, anyCache]
}

// The helpers themselves.
expectTypeOf<StorableValue<() => void>>().toEqualTypeOf<NotStorable>()
expectTypeOf<StorableValue<{ a: number[] }>>().toEqualTypeOf<{ a: number[] }>()
expectTypeOf<ValueOrDefault<unknown, 'x'>>().toEqualTypeOf<string>()
expectTypeOf<ValueOrDefault<Session, null>>().toEqualTypeOf<Session | null>()

describe('typed API at run time', () => {
  it('get(key, default) answers the default on a miss and the value on a hit', async () => {
    const reg = createCaches({ default: { backend: 'locmem', location: 'types-test' } })
    const c = reg.get<Session>('default')
    const none = await c.get('s', null)
    expect(none).toBeNull()
    await c.set('s', { user: 'a', seen: new Date(0), roles: new Set(['x']) })
    const back = await c.get('s', null)
    expect(back?.roles.has('x')).toBe(true)
    expect(await reg.get('default').get('missing', 'fallback')).toBe('fallback')
    await reg.closeAll()
    expect(compileOnly).toBeTypeOf('function')
  })
})
