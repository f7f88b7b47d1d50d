/**
 * How tags apply to a cache's reads, writes and listings (docs/contract.md rule 17): a tagged
 * entry is an envelope holding the versions of its tags when it was written (`tags.ts` keeps the
 * counters); on the way out it is checked against the current counters, and an entry whose tags
 * were invalidated since is missing, one whose tags were expired is stale (rule 16). `BaseCache`
 * calls these with its own storage primitives.
 */
import { type Envelope, escapeEnvelope, isEnvelope, makeEnvelope } from './envelope.ts'
import type { StoredEntry } from './storage-base.ts'
import { normalizeTags, type TagIndex, type TagJudgement, type TagOpts, type TagSnapshot } from './tags.ts'

/** The storage primitives the tag checks read and write through (a cache's own `_get`, …). */
export interface TaggedStore {
  readonly tagIndex: TagIndex
  get(rawKey: string): Promise<StoredEntry | undefined>
  getWithCounters(
    rawKey: string,
    counterKeys: string[],
  ): Promise<{ entry: StoredEntry | undefined; counters: Map<string, unknown> }>
  getMany(rawKeys: string[]): Promise<Map<string, unknown>>
  add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean>
  delete(rawKey: string): Promise<boolean>
}

const NO_TAGS: readonly string[] = []

/** The normalized tags of a call's options (`[]` without any). */
export function tagsOf(opts: TagOpts | undefined): readonly string[] {
  return opts?.tags === undefined ? NO_TAGS : normalizeTags(opts.tags)
}

/**
 * The stored entry at `rawKey` (an envelope stays an envelope), or `undefined` when it is
 * missing or carries tags that were invalidated since it was written. `hint` tags are fetched
 * with the entry in one round trip. An entry soft-expired by `expireTags` comes back as a stale
 * envelope: stale since its tags' expiry time when `staleSince` is asked for (one more round
 * trip, on that path only; `getOrSet` needs it for its windows), else since the epoch (every
 * read but `getOrSet` treats stale as missing).
 */
export async function readChecked(
  store: TaggedStore,
  rawKey: string,
  hint: Iterable<string> | undefined,
  staleSince: boolean,
): Promise<StoredEntry | undefined> {
  const tags = hint === undefined ? NO_TAGS : normalizeTags(hint)
  let entry: StoredEntry | undefined
  let counters: Map<string, unknown> | undefined
  if (tags.length > 0) {
    const r = await store.getWithCounters(rawKey, store.tagIndex.counterKeys(tags))
    entry = r.entry
    counters = r.counters
  } else entry = await store.get(rawKey)
  return judgedEntry(store.tagIndex, entry, counters, staleSince)
}

/**
 * The second half of `readChecked`, for an entry already read (`counters`: the tag counters
 * fetched with it, if any): the entry, `undefined` when its tags were invalidated, or a stale
 * envelope when they were expired.
 */
export async function judgedEntry(
  tagIndex: TagIndex,
  entry: StoredEntry | undefined,
  counters: Map<string, unknown> | undefined,
  staleSince: boolean,
): Promise<StoredEntry | undefined> {
  const v = entry?.value
  if (entry === undefined || !isEnvelope(v) || v.tags === undefined) return entry
  const j = (await tagIndex.judge([v.tags], counters))[0] as TagJudgement
  if (j.verdict === 'fresh') return entry
  if (j.verdict === 'gone') return undefined
  let since = 0
  if (staleSince) {
    const at = await tagIndex.staleSince(j.staleTags)
    if (at === undefined) return undefined // its expiry time was evicted: fail safe
    since = at
  }
  const soft = v.softExpiresAt == null ? since : Math.min(v.softExpiresAt, since)
  return { ...entry, value: { ...v, softExpiresAt: soft } }
}

/** Whether a stored value's tags (if any) are all still current: not invalidated, not expired. */
export async function tagsCurrent(tagIndex: TagIndex, stored: unknown): Promise<boolean> {
  if (!isEnvelope(stored) || stored.tags === undefined) return true
  return tagIndex.isCurrent(stored.tags)
}

/** Remove from `found` the entries whose tags were invalidated: one more `getMany` at most. */
export async function dropInvalidated(
  tagIndex: TagIndex,
  found: Map<string, unknown>,
): Promise<Map<string, unknown>> {
  const keys: string[] = []
  const snaps: TagSnapshot[] = []
  for (const [k, v] of found) {
    if (isEnvelope(v) && v.tags !== undefined) {
      keys.push(k)
      snaps.push(v.tags as TagSnapshot)
    }
  }
  if (keys.length === 0) return found
  const verdicts = await tagIndex.currentMany(snaps)
  keys.forEach((k, i) => {
    if (!verdicts[i]) found.delete(k)
  })
  return found
}

/** What a write stores for `value`: an envelope with the current versions of `tags`, or the value (escaped). */
export async function storedValue(
  tagIndex: TagIndex,
  value: unknown,
  tags: readonly string[],
): Promise<unknown> {
  if (tags.length === 0) return untaggedStoredValue(value)
  refuseThenable(value)
  return makeEnvelope(value, { tags: await tagIndex.snapshot(tags) })
}

/** `storedValue` without tags, synchronously (`set`'s hot path): the value as stored. */
export function untaggedStoredValue(value: unknown): unknown {
  refuseThenable(value)
  return escapeEnvelope(value)
}

function refuseThenable(value: unknown): void {
  // Returned from an async function a thenable would be awaited and its result stored: refuse
  // it as structured clone refuses a Promise (docs/contract.md rule 12).
  if (typeof (value as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('cachework cannot store a Promise or thenable: await it and store the result')
  }
}

/**
 * `add`, where an entry whose tags were invalidated counts as missing: else a `getOrSet` would
 * recompute on every call until the dead entry's own expiry.
 */
export async function addReplacingDead(
  store: TaggedStore,
  raw: string,
  stored: unknown,
  exp: number | null,
): Promise<boolean> {
  if (await store.add(raw, stored, exp)) return true
  const cur = await store.get(raw)
  if (cur === undefined || !isEnvelope(cur.value) || (await tagsCurrent(store.tagIndex, cur.value)))
    return false
  await store.delete(raw)
  return store.add(raw, stored, exp)
}

/**
 * The verdict on a listed entry's tags (`entries()`, rule 14), reading each tag counter once per
 * listing: `counters` (raw key → value) collects the ones read so far.
 */
export async function listedVerdict(
  store: TaggedStore,
  snapshot: NonNullable<Envelope['tags']>,
  counters: Map<string, unknown>,
): Promise<TagJudgement['verdict'] | undefined> {
  const need = store.tagIndex.counterKeys(Object.keys(snapshot)).filter((r) => !counters.has(r))
  if (need.length > 0) {
    const got = await store.getMany(need)
    for (const r of need) counters.set(r, got.get(r))
  }
  return (await store.tagIndex.judge([snapshot], counters))[0]?.verdict
}
