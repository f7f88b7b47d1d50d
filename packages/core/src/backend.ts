/**
 * `@cachework/core/backend`: what a backend author needs (docs/contract.md §2): `BaseCache` and
 * the storage shapes it works on, culling's store interface (rule 11), the value codec and copies
 * (rule 12), the clock, key helpers (rules 1, 2), config normalisation, and the registry call that
 * gives a backend its name. An application imports from `@cachework/core` instead.
 */
export {
  addDelta,
  BaseCache,
  manyKeyRecord,
  putManyKey,
  type RawEntry,
  type StoredEntry,
  unsafeIncrMessage,
} from './base-cache.ts'
export { type Clock, systemClock } from './clock.ts'
export { assertStorable, fastClone, isolatedCopy, restore, type Snapshot, snapshot } from './clone.ts'
export { decodeValue, decodeValueBytes, encodeValue, encodeValueBytes } from './codec.ts'
export { configWarning, normalizeConfig } from './config.ts'
export { type CallDeadlineOptions, CallDeadlines } from './deadlines.ts'
export type { CullableStore, CullPolicy } from './cull.ts'
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
export { type GetOrSetHost, getOrSetWith } from './get-or-set.ts'
export { untaggedStoredValue } from './tagged-entries.ts'
export {
  backoffMs,
  isLeaseKey,
  isLeaseRecord,
  LEASE_SUFFIX,
  type LeaseRecord,
  leaseKeyFor,
  leaseToken,
} from './lease.ts'
export {
  defaultKeyFunction,
  type KeyFunction,
  MEMCACHE_MAX_KEY_LENGTH,
  memcacheKeyWarnings,
  parseDefaultKey,
} from './keys.ts'
export { NO_PEEK, PEEK, peekShared } from './peek.ts'
export { registerBackend, registeredBackends } from './registry.ts'
export type { AnyCacheConfig, BackendClass, CacheOptions } from './types.ts'
export {
  freshTagVersion,
  HARD_STEP,
  MAX_TAG_LENGTH,
  normalizeTags,
  TAG_EXPIRED_PREFIX,
  TAG_KEY_PREFIX,
  TagIndex,
  type TagJudgement,
  type TagSnapshot,
  type TagStore,
  type TagVerdict,
} from './tags.ts'
