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
 *
 * The names below "Deprecated" still work from this entry for the 0.2 releases and move to
 * those entries (CHANGELOG.md lists each move).
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

// ---- Deprecated here (0.2): import these from '@cachework/core/backend' ----
export {
  unsafeIncrMessage,
  freshTagVersion,
  MAX_TAG_LENGTH,
  normalizeTags,
  TAG_KEY_PREFIX,
  TagIndex,
  type TagSnapshot,
  type TagStore,
  backoffMs,
  ENVELOPE_MARK,
  type Envelope,
  type EnvelopeMeta,
  entryState,
  escapeEnvelope,
  type GetOrSetHost,
  getOrSetWith,
  isEnvelope,
  isLeaseKey,
  isLeaseRecord,
  LEASE_SUFFIX,
  type LeaseRecord,
  leaseKeyFor,
  leaseToken,
  makeEnvelope,
  openEnvelope,
  STALE,
  addDelta,
  BaseCache,
  type CullableStore,
  configWarning,
  decodeValue,
  decodeValueBytes,
  encodeValue,
  encodeValueBytes,
  fastClone,
  isolatedCopy,
  MEMCACHE_MAX_KEY_LENGTH,
  memcacheKeyWarnings,
  NO_PEEK,
  normalizeConfig,
  PEEK,
  parseDefaultKey,
  peekShared,
  type RawEntry,
  restore,
  type Snapshot,
  type StoredEntry,
  snapshot,
  systemClock,
} from './backend.ts'
// ---- Deprecated here (0.2): import these from '@cachework/core/inspect' ----
export {
  CacheInspector,
  type DescribeOptions,
  describeValue,
  type EventBatch,
  type FormatOptions,
  formatValue,
  httpSummary,
  httpView,
  InspectorError,
  type InspectorOp,
  type InspectorOptions,
  type InspectorSnapshot,
  inspectCache,
  inspectedCaches,
  inspectSource,
  isJsonValue,
  TOKEN_HEADER,
  type ValueNode,
  type WireCache,
  type WireEntry,
  type WireEvent,
  type WireHttp,
  type WireHttpSummary,
  type WireValue,
  WS_EVENTS,
} from './inspection.ts'
// ---- Deprecated here (0.2): import these from '@cachework/core/http' ----
export {
  DEFAULT_STREAM_AFTER_MS,
  type StoredResponse,
  isStoredResponse,
  mutableResponse,
  type ReadBody,
  readBody,
  responseFrom,
  storeResponse,
  type CacheControlDirectives,
  cacheControlNames,
  getMaxAge,
  type HeadersTarget,
  headersOf,
  parseCacheControl,
  patchCacheControl,
  splitHeaderValue,
  conditionalResponse,
  notModified,
  parseEtags,
  DEFAULT_FLIGHT_WAIT_MS,
  DEFAULT_MAX_BODY_BYTES,
  type NextHandler,
  ResponseCache,
  type ResponseCacheOptions,
  type CacheFragmentOptions,
  cacheFragment,
  type FragmentKeyOptions,
  makeTemplateFragmentKey,
  addNeverCacheHeaders,
  DEFAULT_CACHE_SECONDS,
  hasVaryHeader,
  httpDate,
  parseHttpDate,
  patchResponseHeaders,
  patchVaryHeaders,
  badHostResponse,
  checkedHost,
  isAcceptableRequestHost,
  isAllowedHost,
  type SplitHost,
  splitHost,
  absoluteUri,
  cacheHeaderKey,
  getCacheKey,
  isHeaderList,
  type KeyOptions,
  type KeyRequest,
  learnCacheKey,
  md5Hex,
  pageCacheKey,
  varyDigest,
  varyHeaderList,
  bindRequestView,
  boundView,
  isRequestView,
  type RequestView,
  isServablePage,
  MAX_TAG_HEADER_BYTES,
  type PageTags,
  pageTags,
  type TagHeader,
  writeTagHeader,
  type CacheMiddlewareOptions,
  type CachePageOptions,
  cacheControl,
  cacheMiddleware,
  cachePage,
  type FetchHandler,
  type FetchMiddleware,
  fetchFromCacheMiddleware,
  neverCache,
  updateCacheMiddleware,
  varyOnCookie,
  varyOnHeaders,
  type NotStoredReason,
  onPageCacheReport,
  type PageCacheListener,
  type PageCacheReport,
  pageCacheReporting,
  reportPageCache,
  rfc9111,
} from './http/index.ts'
