/**
 * The registry: backend names, and the `caches` handler (django/core/cache/__init__.py). One instance
 * per alias per registry (Django keeps one per thread; JavaScript has one thread per realm).
 */
import { markValidated, normalizeConfig, resolveInit } from './config.ts'
import { ImproperlyConfigured, InvalidCacheBackendError } from './errors.ts'
import { DummyCache } from './backends/dummy.ts'
import { LocMemCache } from './backends/locmem.ts'
import { inspectSource } from './inspect.ts'
import type { AnyCacheConfig, BackendClass, Cache, CacheConfig, CachesConfig } from './types.ts'

// Core's own backends are known wherever the registry is, whichever entry was imported.
const backends = new Map<string, BackendClass>([
  ['locmem', LocMemCache],
  ['dummy', DummyCache],
])

// Django's dotted paths (django/core/cache/__init__.py) → our names.
const DJANGO_NAMES: Record<string, string> = {
  'django.core.cache.backends.locmem.LocMemCache': 'locmem',
  'django.core.cache.backends.dummy.DummyCache': 'dummy',
  'django.core.cache.backends.db.DatabaseCache': 'db',
  'django.core.cache.backends.filebased.FileBasedCache': 'file',
  'django.core.cache.backends.memcached.PyMemcacheCache': 'memcached',
  'django.core.cache.backends.memcached.PyLibMCCache': 'memcached',
  'django.core.cache.backends.memcached.MemcachedCache': 'memcached',
  'django.core.cache.backends.redis.RedisCache': 'redis',
}

const PACKAGE_OF: Record<string, string> = {
  memcached: '@cachework/node/memcached',
  db: '@cachework/node/db',
  file: '@cachework/node/file',
  redis: '@cachework/node/redis',
  indexeddb: '@cachework/browser',
  localforage: '@cachework/browser',
}

/** Register a backend class under a name usable as `backend` in the config. */
export function registerBackend(name: string, cls: BackendClass): void {
  if (typeof name !== 'string' || name === '')
    throw new TypeError('registerBackend: name must be a non-empty string')
  if (typeof cls !== 'function')
    throw new TypeError(`registerBackend('${name}'): cls must be a class extending BaseCache`)
  backends.set(name, cls)
}

/** The registered names (Django's dotted aliases not included). */
export function registeredBackends(): string[] {
  return [...backends.keys()]
}

function lookupBackend(alias: string, backend: unknown): BackendClass {
  if (typeof backend === 'function') return backend as BackendClass
  if (backend === undefined || backend === null || backend === '') {
    throw new ImproperlyConfigured(`CACHES['${alias}'].backend is missing: name a backend such as 'locmem'`)
  }
  if (typeof backend !== 'string') {
    throw new ImproperlyConfigured(
      `CACHES['${alias}'].backend must be a backend name or class, got ${typeof backend}`,
    )
  }
  const name = DJANGO_NAMES[backend] ?? backend
  const cls = backends.get(name)
  if (cls) return cls
  const pkg = PACKAGE_OF[name]
  throw new InvalidCacheBackendError(
    pkg
      ? `CACHES['${alias}'].backend '${backend}' is not registered: import '${pkg}' before configuring caches`
      : `CACHES['${alias}'].backend '${backend}' is not a known backend (registered: ${registeredBackends().join(', ')})`,
  )
}

interface Prepared {
  cls: BackendClass
  init: AnyCacheConfig
}

function prepare(config: CachesConfig): Map<string, Prepared> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ImproperlyConfigured('The caches configuration must be an object of alias → config')
  }
  const out = new Map<string, Prepared>()
  const problems: string[] = []
  for (const [alias, raw] of Object.entries(config)) {
    try {
      const n = normalizeConfig(alias, raw as AnyCacheConfig)
      const cls = lookupBackend(alias, n.backend)
      const { backend: _, ...init } = n
      resolveInit(alias, init, cls)
      markValidated(init)
      out.set(alias, { cls, init })
    } catch (e) {
      if (!(e instanceof ImproperlyConfigured)) throw e
      problems.push(e.message)
    }
  }
  if (problems.length === 1) throw new ImproperlyConfigured(problems[0] as string)
  if (problems.length > 1)
    throw new ImproperlyConfigured(`Bad caches configuration:\n- ${problems.join('\n- ')}`)
  return out
}

/**
 * The registry interface: what `caches` and `createCaches(...)` return. `M` maps each alias to
 * the type of its values: `createCaches({ a: …, b: … })` knows the aliases `'a' | 'b'` (a typo
 * fails to compile); the process-wide `caches` knows what {@link CacheAliases} declares.
 */
export interface CacheRegistry<M extends object = Record<string, unknown>> {
  /**
   * The cache for `alias`, created on first use; the same object on every call. `V` types its
   * values (`caches.get<Session>('sessions')`), else the alias's type in `M`.
   */
  get<V = unknown, K extends AliasOf<M> = AliasOf<M>>(alias: K): Cache<unknown extends V ? M[K & keyof M] : V>
  /** The configured aliases. */
  aliases(): AliasOf<M>[]
  /** Whether `alias` is configured. */
  has(alias: string): boolean
  /** The caches created so far (devtools lists these). */
  initialized(): Cache[]
  /** Close every created cache. */
  closeAll(): Promise<void>
  /** Replace the configuration (validated as a whole; created caches are closed). */
  configure(config: CachesConfig): void
}

/** The alias names of a registry's alias → value-type map. */
export type AliasOf<M> = Extract<keyof M, string>

/**
 * The aliases of the process-wide `caches` and the types of their values. Empty by default (any
 * alias, values `unknown`); declare yours to type `caches.get(alias)` and reject misspelt aliases:
 *
 * ```ts
 * declare module '@cachework/core' {
 *   interface CacheAliases { default: unknown; sessions: Session }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: applications declare their aliases into it
export interface CacheAliases {}

/** The alias map of the process-wide `caches`: {@link CacheAliases}, or any alias when it is empty. */
export type ProcessCaches = keyof CacheAliases extends never ? Record<string, unknown> : CacheAliases

const DEFAULT_CONFIG: CachesConfig = { default: { backend: 'locmem' } }

class Registry implements CacheRegistry {
  private prepared: Map<string, Prepared> | undefined
  private readonly instances = new Map<string, Cache>()
  private config: CachesConfig

  constructor(config: CachesConfig) {
    this.config = config
  }

  private ensure(): Map<string, Prepared> {
    // Validation is deferred to first use only for the implicit default, whose backend
    // ('locmem') registers when core's entry is imported.
    this.prepared ??= prepare(this.config)
    return this.prepared
  }

  configure(config: CachesConfig): void {
    const prepared = prepare(config)
    const old = [...this.instances.values()]
    this.instances.clear()
    this.config = config
    this.prepared = prepared
    for (const c of old) void c.close().catch(() => {})
  }

  get(alias: string): Cache<never> {
    const existing = this.instances.get(alias)
    if (existing) return existing
    const p = this.ensure().get(alias)
    if (!p) throw new InvalidCacheBackendError(`The connection '${alias}' doesn't exist.`)
    const c = new p.cls(p.init, alias)
    this.instances.set(alias, c)
    return c as Cache<never>
  }

  aliases(): string[] {
    return [...this.ensure().keys()]
  }

  has(alias: string): boolean {
    return this.ensure().has(alias)
  }

  initialized(): Cache[] {
    return [...this.instances.values()]
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.instances.values()].map((c) => c.close()))
  }
}

/**
 * An independent registry with its own config (tests, several apps in one process). Its
 * aliases are typed by the config's keys: `reg.get('sesions')` fails to compile.
 */
export function createCaches<A extends string>(
  config: Record<A, CacheConfig>,
): CacheRegistry<Record<A, unknown>> {
  const r = new Registry(config)
  r.configure(config)
  return r as CacheRegistry as CacheRegistry<Record<A, unknown>>
}

/** The process-wide registry; with no configuration, `default` is `{ backend: 'locmem' }`. */
export const caches: CacheRegistry<ProcessCaches> = new Registry(DEFAULT_CONFIG)
// Devtools lists every configured cache (inspect.ts), from the start: a tool looking creates a
// cache not used yet, as Django's `caches[alias]` does on first access. One Set.add at import.
inspectSource(() => {
  const out = caches.initialized()
  for (const alias of caches.aliases()) {
    try {
      const c = caches.get(alias)
      if (!out.includes(c)) out.push(c)
    } catch {
      // A backend that cannot be built here (a missing optional peer) stays out of the list.
    }
  }
  return out
})

/** Configure the process-wide `caches` (validates the whole config at once). */
export function configureCaches(config: CachesConfig): void {
  caches.configure(config)
}

/** The `default` alias of `caches`, looked up at call time (Django's `cache` proxy). */
export const cache: Cache<ProcessCaches extends { default: infer V } ? V : unknown> = new Proxy({} as Cache, {
  get(_t, prop) {
    const c = caches.get('default') as unknown as Record<PropertyKey, unknown>
    const v = c[prop]
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v
  },
  has(_t, prop) {
    return prop in (caches.get('default') as object)
  },
})

/** Resolve an alias name or a `Cache` (the `cache` option of the HTTP helpers). */
export function resolveCache(
  c: string | Cache | undefined,
  registry: CacheRegistry = caches as CacheRegistry,
): Cache {
  if (c === undefined) return registry.get('default')
  return typeof c === 'string' ? registry.get(c) : c
}
