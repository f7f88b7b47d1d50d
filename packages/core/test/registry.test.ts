import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type CommonOptions,
  DummyCache,
  ImproperlyConfigured,
  InvalidCacheBackendError,
  LocMemCache,
  cache,
  caches,
  configureCaches,
  createCaches,
  registerBackend,
} from '../src/index.ts'

afterEach(() => {
  vi.restoreAllMocks()
  configureCaches({ default: { backend: 'locmem' } })
})

describe('the registry (docs/contract.md §1)', () => {
  it('defaults to one locmem alias', () => {
    expect(caches.aliases()).toEqual(['default'])
    expect(caches.get('default')).toBeInstanceOf(LocMemCache)
  })

  it('returns the same object for an alias on every call', () => {
    configureCaches({ default: { backend: 'locmem', location: 'a' }, other: { backend: 'dummy' } })
    expect(caches.get('other')).toBe(caches.get('other'))
    expect(caches.get('other')).toBeInstanceOf(DummyCache)
  })

  it('throws InvalidCacheBackendError for an unknown alias, with a stable code', () => {
    expect(() => caches.get('nope')).toThrow(InvalidCacheBackendError)
    expect(() => caches.get('nope')).toThrow("The connection 'nope' doesn't exist.")
    try {
      caches.get('nope')
    } catch (e) {
      expect((e as InvalidCacheBackendError).code).toBe('ERR_CACHE_INVALID_BACKEND')
    }
  })

  it('`cache` is the default alias, looked up at call time', async () => {
    configureCaches({ default: { backend: 'locmem', location: 'first' } })
    await cache.set('k', 'first')
    configureCaches({ default: { backend: 'locmem', location: 'second' } })
    expect(await cache.get('k')).toBeUndefined()
    configureCaches({ default: { backend: 'locmem', location: 'first' } })
    expect(await cache.get('k')).toBe('first')
  })

  it("accepts Django's upper-case spelling and dotted backend names", () => {
    const r = createCaches({
      default: {
        BACKEND: 'django.core.cache.backends.locmem.LocMemCache',
        LOCATION: 'unique-snowflake',
        TIMEOUT: 60,
        KEY_PREFIX: 'site',
        VERSION: 3,
        OPTIONS: { MAX_ENTRIES: 10, CULL_FREQUENCY: 2 },
      },
      d: { BACKEND: 'django.core.cache.backends.dummy.DummyCache' },
    })
    const c = r.get('default') as LocMemCache
    expect(c).toBeInstanceOf(LocMemCache)
    expect(c.location).toBe('unique-snowflake')
    expect(c.defaultTimeout).toBe(60)
    expect(c.makeKey('k')).toBe('site:3:k')
    expect(c.maxEntries).toBe(10)
    expect(c.cullFrequency).toBe(2)
    expect(r.get('d')).toBeInstanceOf(DummyCache)
  })

  it('accepts a class as backend, and registerBackend adds names', () => {
    class Mine extends LocMemCache {
      static override readonly backendName = 'mine'
    }
    registerBackend('mine', Mine) // and `declare module` below adds 'mine' to the config's types
    const r = createCaches({ a: { backend: Mine }, b: { backend: 'mine' } })
    expect(r.get('a')).toBeInstanceOf(Mine)
    expect(r.get('b')).toBeInstanceOf(Mine)
  })

  it.each([
    [{ default: {} }, /CACHES\['default'\]\.backend is missing/],
    [{ default: { backend: 'nosuch' } }, /'nosuch' is not a known backend/],
    [{ default: { backend: 'memcached' } }, /import '@cachework\/node\/memcached'/],
    [
      { default: { backend: 'django.core.cache.backends.redis.RedisCache' } },
      /'django\.core\.cache\.backends\.redis\.RedisCache' is not registered: import '@cachework\/node\/redis'/,
    ],
    [{ default: { backend: 'locmem', timeout: 'abc' } }, /CACHES\['default'\]\.timeout must be a number/],
    [
      { default: { backend: 'locmem', options: { maxEntries: 0 } } },
      /options\.maxEntries must be an integer >= 1/,
    ],
    [{ default: { backend: 'locmem', options: { cullFrequency: -1 } } }, /options\.cullFrequency/],
    [{ default: { backend: 'locmem', version: 1.5 } }, /\.version must be an integer/],
    [{ default: { backend: 'locmem', keyPrefix: 3 } }, /\.keyPrefix must be a string/],
    [{ default: { backend: 'locmem', keyFunction: 'mod.fn' } }, /\.keyFunction must be a function/],
    [
      { default: { backend: 'locmem', options: { ignoreErrors: 'yes' } } },
      /options\.ignoreErrors must be a boolean/,
    ],
    [{ default: { backend: 'locmem', location: 5 } }, /\.location must be a string/],
    [{ default: 'locmem' }, /must be an object/],
  ])('rejects bad configuration with ImproperlyConfigured naming alias and field (%#)', (cfg, msg) => {
    expect(() => createCaches(cfg as never)).toThrow(ImproperlyConfigured)
    expect(() => createCaches(cfg as never)).toThrow(msg)
  })

  it('validates the whole config at once and keeps the old one on failure', () => {
    configureCaches({ default: { backend: 'locmem', location: 'keep' } })
    const err = (() => {
      try {
        configureCaches({
          // @ts-expect-error an unknown backend name fails to compile, and to configure
          default: { backend: 'nosuch' },
          other: { backend: 'locmem', timeout: 'x' as never },
        })
      } catch (e) {
        return e as Error
      }
    })()
    expect(err?.message).toMatch(/default/)
    expect(err?.message).toMatch(/other/)
    expect((caches.get('default') as LocMemCache).location).toBe('keep')
  })

  it('warns about unknown fields and options, naming them', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    createCaches({ default: { backend: 'locmem', colour: 'blue', options: { bogus: 1 } } as never })
    const messages = warn.mock.calls.map((c) => String(c[0]))
    expect(messages.some((m) => m.includes("unknown field 'colour'"))).toBe(true)
    expect(messages.some((m) => m.includes("unknown option 'bogus'"))).toBe(true)
  })

  it('closeAll closes the created caches', async () => {
    const r = createCaches({ a: { backend: 'locmem' }, b: { backend: 'dummy' } })
    const a = r.get('a')
    const close = vi.spyOn(a, 'close')
    await r.closeAll()
    expect(close).toHaveBeenCalledOnce()
    expect(r.aliases()).toEqual(['a', 'b'])
  })
})

// A backend of one's own joins the config's types the documented way (types.ts CacheBackends).
declare module '@cachework/core' {
  interface CacheBackends {
    mine: CommonOptions
  }
}
