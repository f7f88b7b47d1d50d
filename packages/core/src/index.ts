/**
 * `@cachework/core`: Django's cache framework for TypeScript, anywhere JavaScript runs. This entry
 * is what an application uses: the registry and `cache`, the `Cache` type, config types, errors,
 * events, and the `locmem` and `dummy` backends (known to the registry from any entry). The other
 * concerns have entries of their own:
 *
 * - `@cachework/core/http`: HTTP helpers, wrappers, the response-cache engine, fragment keys;
 * - `@cachework/core/backend`: what a backend author needs (`BaseCache`, codec, clone, …);
 * - `@cachework/core/inspect`: what devtools reads;
 * - `@cachework/core/testing`: the conformance suite.
 */
import { TieredCache } from './backends/tiered.ts'
import { BroadcastChannelBus, registerBus } from './bus.ts'
import { registerBackend } from './registry.ts'

// The `tiered` backend and its `broadcast` bus are registered by this entry (locmem and dummy
// are known to the registry itself).
registerBackend('tiered', TieredCache)
registerBus(
  'broadcast',
  (o, channel) => new BroadcastChannelBus(typeof o.channel === 'string' ? o.channel : channel),
)

export { DummyCache } from './backends/dummy.ts'
export type { GetOrSetOptions } from './get-or-set.ts'
export type { TagOpts } from './tags.ts'
export { LocMemCache } from './backends/locmem.ts'
export {
  type BusSpec,
  type TieredStats,
  TieredCache,
  type TierSpec,
  type TierStats,
} from './backends/tiered.ts'
export {
  BroadcastChannelBus,
  type BusFactory,
  type BusMessage,
  busFactory,
  type CacheBus,
  isBusMessage,
  registerBus,
} from './bus.ts'
export type { Clock } from './clock.ts'
export {
  CACHE_KEY_WARNING,
  CacheError,
  CacheUnavailableError,
  ImproperlyConfigured,
  InvalidCacheBackendError,
  InvalidCacheKey,
  KeyNotFoundError,
} from './errors.ts'
export type { CacheEvent, CacheEventListener, CacheEventType, CacheStats } from './events.ts'
export { defaultKeyFunction, type KeyFunction } from './keys.ts'
export {
  type AliasOf,
  type CacheAliases,
  type CacheRegistry,
  type ProcessCaches,
  cache,
  caches,
  configureCaches,
  createCaches,
  registerBackend,
  registeredBackends,
  resolveCache,
} from './registry.ts'
export type { NotStorable, StorableValue, ValueOrDefault, Widened } from './value-types.ts'
export type {
  AliasConfig,
  AliasFields,
  BackendClass,
  BackendName,
  Cache,
  CacheBackends,
  CacheConfig,
  CacheInit,
  CacheOptions,
  CachesConfig,
  CommonOptions,
  LocMemOptions,
  TieredOptions,
  UpperCaseOptions,
  EntriesOptions,
  EntryInfo,
  Timeout,
  VersionOpts,
} from './types.ts'
