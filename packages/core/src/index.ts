/**
 * `@cachework/core`: Django's cache framework for TypeScript, anywhere JavaScript runs.
 * Importing this entry registers the `locmem` and `dummy` backends.
 */
import { DummyCache } from './backends/dummy.ts'
import { LocMemCache } from './backends/locmem.ts'
import { TieredCache } from './backends/tiered.ts'
import { BroadcastChannelBus, registerBus } from './bus.ts'
import { registerBackend } from './registry.ts'

registerBackend('locmem', LocMemCache)
registerBackend('dummy', DummyCache)
registerBackend('tiered', TieredCache)
registerBus(
  'broadcast',
  (o, channel) => new BroadcastChannelBus(typeof o.channel === 'string' ? o.channel : channel),
)

export { BaseCache, addDelta, unsafeIncrMessage } from './base-cache.ts'
export type { CullableStore, RawEntry, StoredEntry } from './base-cache.ts'
export { DummyCache } from './backends/dummy.ts'
export {
  ENVELOPE_MARK,
  type Envelope,
  type EnvelopeMeta,
  entryState,
  escapeEnvelope,
  isEnvelope,
  makeEnvelope,
  openEnvelope,
  STALE,
} from './envelope.ts'
export { type GetOrSetHost, type GetOrSetOptions, getOrSetWith } from './get-or-set.ts'
export {
  backoffMs,
  isLeaseKey,
  isLeaseRecord,
  LEASE_SUFFIX,
  type LeaseRecord,
  leaseKeyFor,
  leaseToken,
} from './lease.ts'
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
export { fastClone, isolatedCopy, restore, snapshot } from './clone.ts'
export type { Snapshot } from './clone.ts'
export { type Clock, systemClock } from './clock.ts'
export { decodeValue, decodeValueBytes, encodeValue, encodeValueBytes } from './codec.ts'
export { configWarning, normalizeConfig } from './config.ts'
export { inspectCache, inspectedCaches, inspectSource } from './inspect.ts'
export { CacheInspector, httpSummary, httpView, InspectorError, type InspectorOptions } from './inspector.ts'
export {
  type EventBatch,
  type Op as InspectorOp,
  type Snapshot as InspectorSnapshot,
  TOKEN_HEADER,
  type WireCache,
  type WireEntry,
  type WireEvent,
  type WireHttp,
  type WireHttpSummary,
  type WireValue,
  WS_EVENTS,
} from './inspector-protocol.ts'
export { type DescribeOptions, describeValue, isJsonValue, type ValueNode } from './value-tree.ts'
export { NO_PEEK, PEEK, peekShared } from './peek.ts'
export {
  freshTagVersion,
  MAX_TAG_LENGTH,
  normalizeTags,
  TAG_KEY_PREFIX,
  TagIndex,
  type TagOpts,
  type TagSnapshot,
  type TagStore,
} from './tags.ts'
export { type FormatOptions, formatValue } from './preview.ts'
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
export {
  defaultKeyFunction,
  type KeyFunction,
  MEMCACHE_MAX_KEY_LENGTH,
  memcacheKeyWarnings,
  parseDefaultKey,
} from './keys.ts'
export {
  type CacheRegistry,
  cache,
  caches,
  configureCaches,
  createCaches,
  registerBackend,
  registeredBackends,
  resolveCache,
} from './registry.ts'
export type {
  BackendClass,
  Cache,
  CacheConfig,
  CacheInit,
  CacheOptions,
  CachesConfig,
  EntryInfo,
  Timeout,
  VersionOpts,
} from './types.ts'
export * from './http/index.ts'
