/**
 * The worker's message protocol, used by the devtools panel and `registerResponseCache`'s
 * handle: the page posts `{ type: 'cachework:list' | 'cachework:delete' | 'cachework:clear' }`
 * with a `MessagePort` and the worker answers on that port (docs/service-worker.md).
 */
import type { Cache } from '@cachework/core'
import type { EngineStats, ResponseCacheEngine } from './engine.ts'
import { evaluate } from './freshness.ts'
import { deleteUrl, KEY_PREFIX, type StoredResponse, type SwEntryInfo, type VaryRecord } from './store.ts'

/** A request to the worker. `key` of `cachework:delete` is an entry's `key` from the list, or a URL. */
export type SwMessage =
  | { type: 'cachework:list' }
  | { type: 'cachework:delete'; key: string }
  | { type: 'cachework:clear' }
  | { type: 'cachework:value'; key: string }
  | { type: 'cachework:claim' }

/** The worker's answer: `entries` for list, `deleted` (a count) for delete and clear, `claimed` for claim, or `error`. */
export interface MessageReply {
  type: string
  entries?: SwEntryInfo[]
  /** With `entries`: how the worker answered requests since it started. */
  stats?: EngineStats
  /** For `cachework:value`: the stored response's headers and body (text when it decodes as UTF-8, up to 64 KiB). */
  value?: { status: number; headers: Array<[string, string]>; text: string | null; size: number } | null
  deleted?: number
  claimed?: boolean
  error?: string
}

function isStored(v: unknown): v is StoredResponse {
  return typeof v === 'object' && v !== null && 'body' in v && 'status' in v
}

function isVaryRecord(v: unknown): v is VaryRecord {
  return typeof v === 'object' && v !== null && 'varyHeaders' in v && !('body' in v)
}

async function* swEntries(cache: Cache): AsyncGenerator<{ key: string; value: unknown }> {
  for await (const e of cache.entries({ prefix: KEY_PREFIX })) {
    if (e.key === undefined) continue
    const value = e.value !== undefined ? e.value : await cache.get(e.key)
    yield { key: e.key, value }
  }
}

/** Every stored variant as `SwEntryInfo`, oldest first. */
export async function listEntries(cache: Cache, now = Date.now()): Promise<SwEntryInfo[]> {
  const out: SwEntryInfo[] = []
  for await (const { key, value } of swEntries(cache)) {
    if (!isStored(value)) continue
    const ev = evaluate(value, now, undefined)
    out.push({
      key,
      url: value.url,
      variant: value.variant,
      status: value.status,
      storedAt: value.responseTime,
      expires: Math.round(ev.expiresAt),
      size: value.body.byteLength,
    })
  }
  return out.sort((a, b) => a.storedAt - b.storedAt)
}

const PREVIEW_BYTES = 64 * 1024

/** One stored variant for a preview: headers, and the body as text when it is UTF-8 (else `null`). */
export async function entryValue(cache: Cache, key: string): Promise<MessageReply['value']> {
  const value = await cache.get(key)
  if (!isStored(value)) return null
  let text: string | null
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value.body.subarray(0, PREVIEW_BYTES))
  } catch {
    text = null
  }
  return { status: value.status, headers: value.headers, text, size: value.body.byteLength }
}

/** Delete one variant by key, or a URL's record and all its variants (by record key or URL). */
export async function deleteEntry(cache: Cache, key: string): Promise<number> {
  if (typeof key !== 'string' || key === '') throw new TypeError("cachework:delete needs a 'key' string")
  if (!key.startsWith(KEY_PREFIX)) return deleteUrl(cache, key)
  const value = await cache.get(key)
  if (isVaryRecord(value)) return deleteUrl(cache, value.url)
  return (await cache.delete(key)) ? 1 : 0
}

/** Delete every entry this cache wrote (other keys of a shared backend stay). */
export async function clearEntries(cache: Cache): Promise<number> {
  const keys: string[] = []
  for await (const e of cache.entries({ prefix: KEY_PREFIX })) if (e.key !== undefined) keys.push(e.key)
  await cache.deleteMany(keys)
  return keys.length
}

/** The worker's answer to `msg` (all but `cachework:claim`, which `installResponseCache` answers itself). */
export async function answerMessage(engine: ResponseCacheEngine, msg: SwMessage): Promise<MessageReply> {
  const cache = engine.cache
  switch (msg.type) {
    case 'cachework:list':
      return { type: msg.type, entries: await listEntries(cache), stats: { ...engine.stats } }
    case 'cachework:value':
      return { type: msg.type, value: await entryValue(cache, msg.key) }
    case 'cachework:delete':
      return { type: msg.type, deleted: await deleteEntry(cache, msg.key) }
    case 'cachework:clear':
      return { type: msg.type, deleted: await clearEntries(cache) }
    case 'cachework:claim':
      return { type: msg.type, claimed: false }
    default:
      return {
        type: (msg as { type: string }).type,
        error: `unknown message type '${(msg as { type: string }).type}'`,
      }
  }
}
