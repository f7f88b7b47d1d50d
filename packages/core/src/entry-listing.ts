/**
 * `entries()` (docs/contract.md rule 14): every live entry of a cache, with its caller's key and
 * version parsed back when the default key function is used (then only the alias's prefix is
 * listed), and its state: `fresh`, `stale` (rule 16), `refreshing` (this process recomputes it)
 * or `leased` (a lease item: someone computes it). Tag counters are bookkeeping and are not
 * listed; entries whose tags were invalidated are not live (rule 17).
 */
import { isEnvelope } from './envelope.ts'
import { parseDefaultKey } from './keys.ts'
import { isLeaseKey, isLeaseRecord, LEASE_SUFFIX } from './lease.ts'
import type { RawEntry } from './storage-base.ts'
import { listedVerdict, type TaggedStore } from './tagged-entries.ts'
import { isTagCounterKey, type TagJudgement } from './tags.ts'
import type { EntriesOptions, EntryInfo } from './types.ts'

/** What a listing reads: the backend's raw entries and the cache's settings. */
export interface ListingSource {
  /** The backend's `_entries` (expired ones may be included). */
  rawEntries(opts?: { sizes?: boolean }): AsyncIterable<RawEntry>
  /** Tag counters are read through it. */
  store: TaggedStore
  isExpired(expiresAt: number | null | undefined): boolean
  now(): number
  /** The alias's prefix, when its key function is the default one (keys are parsed back); else `undefined`. */
  defaultKeyPrefix: string | undefined
  /** Raw keys this process is refreshing in the background. */
  refreshing: ReadonlySet<string>
}

/** The live entries of `src`, at most `opts.limit`, filtered on the caller's key by `opts.prefix`. */
export async function* listEntries(src: ListingSource, opts: EntriesOptions): AsyncIterable<EntryInfo> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY
  if (limit <= 0) return
  const prefix = src.defaultKeyPrefix
  let n = 0
  const now = src.now()
  // Tag counters seen during this listing (raw key → value), so each is read once (rule 17).
  const counters = new Map<string, unknown>()
  for await (const e of src.rawEntries(opts.sizes === false ? { sizes: false } : undefined)) {
    if (src.isExpired(e.expiresAt)) continue
    if (isTagCounterKey(e.rawKey)) continue
    let tags: string[] | undefined
    let tagVerdict: TagJudgement['verdict'] | undefined
    if (isEnvelope(e.value) && e.value.tags !== undefined) {
      tags = Object.keys(e.value.tags)
      tagVerdict = await listedVerdict(src.store, e.value.tags, counters)
      if (tagVerdict === 'gone') continue
    }
    const info: EntryInfo = { rawKey: e.rawKey, expiresAt: e.expiresAt }
    const lease = isLeaseKey(e.rawKey)
    if (prefix !== undefined) {
      const p = parseDefaultKey(lease ? e.rawKey.slice(0, -LEASE_SUFFIX.length) : e.rawKey, prefix)
      if (!p) continue
      info.key = p.key
      info.version = p.version
    }
    if (opts.prefix !== undefined && !(info.key ?? info.rawKey).startsWith(opts.prefix)) continue
    if (e.size !== undefined) info.size = e.size
    if (lease) {
      // A lease item (rule 16): who is computing this key, not a value.
      info.state = 'leased'
      if (isLeaseRecord(e.value)) info.leaseHolder = e.value.token
    } else if ('value' in e) {
      const env = isEnvelope(e.value) ? e.value : undefined
      info.value = env ? env.value : e.value
      info.state = src.refreshing.has(e.rawKey)
        ? 'refreshing'
        : tagVerdict === 'stale' || (env && env.softExpiresAt != null && env.softExpiresAt <= now)
          ? 'stale'
          : 'fresh'
      if (env?.softExpiresAt != null) info.softExpiresAt = env.softExpiresAt
    }
    if (tags !== undefined) info.tags = tags
    yield info
    if (++n >= limit) return
  }
}
