/**
 * How the service-worker cache lays its state out in a cachework `Cache` (its Cache Storage
 * layout; the HTTP rules, Vary matching included, are core's `rfc9111` toolkit): per URL one
 * entry holding the response's `Vary` names, and per variant one entry holding the response as a
 * plain object. Everything lives in the
 * backend (IndexedDB by default), so a restarted worker finds it again.
 */
import type { Cache } from '@cachework/core'
import { rfc9111 } from '@cachework/core/http'

/** Prefix of every key this cache writes. */
export const KEY_PREFIX = 'sw:'

/** A stored response: plain data that every backend round-trips (docs/contract.md rule 12). */
export interface StoredResponse extends rfc9111.StoredMessage {
  url: string
  /** Lower-cased names from the response's `Vary`. */
  varyHeaders: string[]
  /** The request's normalized values of `varyHeaders` (checked on read: never serve another variant). */
  variant: string
}

/** The per-URL record: the `Vary` header names the URL's responses were last seen with. */
export interface VaryRecord {
  url: string
  varyHeaders: string[]
  /**
   * The `ETag` of each stored variant (by variant string): a request whose `Vary` values match
   * none of them can still validate them (RFC 9111 §4.3.1). At most `MAX_TAGGED` kept.
   */
  etags?: Record<string, string>
}

/** Variants whose `ETag`s a URL's record keeps. */
const MAX_TAGGED = 8

/** What the `cachework:list` message returns per stored variant. */
export interface SwEntryInfo {
  /** The cache key, as given to `cachework:delete`. */
  key: string
  url: string
  /** The request header values this variant was stored for (`accept-language=fr`), `''` without Vary. */
  variant: string
  status: number
  /** Epoch ms the response was received. */
  storedAt: number
  /** Epoch ms it stops being fresh. */
  expires: number
  /** Body bytes. */
  size: number
}

/** FNV-1a over UTF-16 code units, two 32-bit lanes: a short stable hex id (not security-relevant). */
export function hashString(s: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15)
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')
}

/** The URL part of a key: the URL itself while keys stay short (rule 2 warns past 250), else its hash. */
function urlPart(url: string): string {
  return url.length <= 180 ? url : `#${hashString(url)}`
}

/** Key of a URL's `Vary` record. */
export function varyKey(url: string): string {
  return `${KEY_PREFIX}${urlPart(url)}`
}

/** Key of one variant of a URL. */
export function variantKey(url: string, variant: string): string {
  return `${KEY_PREFIX}${urlPart(url)}|${hashString(variant)}`
}

/** The fields of a response a cache keeps: no hop-by-hop fields, none that `Connection` names (RFC 9111 §3.1). */
export function storedFields(headers: Array<[string, string]>): Array<[string, string]> {
  return rfc9111.withoutFields(headers, rfc9111.fieldsToOmit(headers))
}

/** Turn a fetched response into a stored one (reads the body). */
export async function toStored(
  response: Response,
  url: string,
  requestHeaders: Headers,
  requestTime: number,
  responseTime: number,
): Promise<StoredResponse> {
  const varyHeaders = rfc9111.varyNames([...response.headers])
  return {
    url,
    status: response.status,
    statusText: response.statusText,
    headers: storedFields([...response.headers]),
    body: new Uint8Array(await response.arrayBuffer()),
    requestTime,
    responseTime,
    varyHeaders,
    variant: rfc9111.varyValues(requestHeaders, varyHeaders),
  }
}

/** Build a `Response` from a stored one, with `extra` headers set on top (e.g. `Age`). */
export function toResponse(s: StoredResponse, extra: rfc9111.HeaderList = []): Response {
  const headers = new Headers(s.headers)
  for (const [k, v] of extra) headers.set(k, v)
  const nullBody = s.status === 204 || s.status === 205 || s.status === 304
  return new Response(nullBody ? null : (s.body as Uint8Array<ArrayBuffer>), {
    status: s.status,
    statusText: s.statusText,
    headers,
  })
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.join(',') === b.join(',')

/**
 * Read the stored variant of `url` matching `requestHeaders`, or `undefined`. `hints` remembers
 * each URL's Vary list in worker memory. With a hint, the likely variant is read alone (one
 * IndexedDB request): it is the answer when its own `Vary` names are the hint's and its stored
 * values are the request's, since RFC 9111 §4.1 matches a request against the stored response's
 * own `Vary`. Otherwise the URL's record decides, read with the variant in one transaction.
 */
export async function readVariant(
  cache: Cache,
  url: string,
  requestHeaders: Headers,
  hints?: Map<string, string[]>,
  seen?: { record?: VaryRecord },
): Promise<{ key: string; stored: StoredResponse } | undefined> {
  const vk = varyKey(url)
  const hint = hints?.get(url)
  let record: VaryRecord | undefined
  let stored: StoredResponse | undefined
  let key: string | undefined
  if (hint !== undefined) {
    const values = rfc9111.varyValues(requestHeaders, hint)
    const guess = variantKey(url, values)
    const alone = (await cache.get<StoredResponse>(guess)) ?? undefined
    if (alone && alone.url === url && alone.variant === values && sameList(alone.varyHeaders, hint)) {
      return { key: guess, stored: alone }
    }
    const got = await cache.getMany<VaryRecord | StoredResponse>([vk, guess])
    record = got[vk] as VaryRecord | undefined
    if (record && sameList(record.varyHeaders, hint)) {
      key = guess
      stored = got[guess] as StoredResponse | undefined
    }
  } else {
    record = (await cache.get<VaryRecord>(vk)) ?? undefined
  }
  if (!record) {
    hints?.delete(url)
    return undefined
  }
  if (seen) seen.record = record
  if (hints) {
    if (hints.size >= 1000 && !hints.has(url)) hints.clear()
    hints.set(url, record.varyHeaders)
  }
  const variant = rfc9111.varyValues(requestHeaders, record.varyHeaders)
  if (key === undefined) {
    key = variantKey(url, variant)
    stored = (await cache.get<StoredResponse>(key)) ?? undefined
  }
  // The stored variant string guards against hash collisions and against a record learned later.
  if (!stored || stored.url !== url || stored.variant !== variant) return undefined
  return { key, stored }
}

/**
 * Store a response under its URL's `Vary` record. When the learned header list changes, the
 * older variants are dropped: they were keyed on other headers and can no longer be selected.
 */
export async function writeVariant(cache: Cache, stored: StoredResponse): Promise<string> {
  const vk = varyKey(stored.url)
  let record: VaryRecord | null | undefined = await cache.get<VaryRecord>(vk)
  if (record && !sameList(record.varyHeaders, stored.varyHeaders)) {
    await deleteUrl(cache, stored.url)
    record = null
  }
  const key = variantKey(stored.url, stored.variant)
  const etag = rfc9111.headerValue(stored.headers, 'etag')
  const etags = { ...(record?.etags ?? {}) }
  if (etag === undefined) delete etags[stored.variant]
  else etags[stored.variant] = etag
  const names = Object.keys(etags)
  for (const old of names.slice(0, Math.max(0, names.length - MAX_TAGGED))) delete etags[old]
  const changed = JSON.stringify(etags) !== JSON.stringify(record?.etags ?? {})
  if (!record || changed) {
    const next: VaryRecord = { url: stored.url, varyHeaders: stored.varyHeaders }
    if (Object.keys(etags).length > 0) next.etags = etags
    await cache.set(vk, next, null)
  }
  await cache.set(key, stored, null)
  return key
}

/** A stored variant of `url` by its variant string, or `undefined`. */
export async function readVariantOf(
  cache: Cache,
  url: string,
  variant: string,
): Promise<{ key: string; stored: StoredResponse } | undefined> {
  const key = variantKey(url, variant)
  const stored = (await cache.get<StoredResponse>(key)) ?? undefined
  return stored && stored.url === url && stored.variant === variant ? { key, stored } : undefined
}

/** Delete every stored variant of `url` and its `Vary` record; return how many entries went. */
export async function deleteUrl(cache: Cache, url: string): Promise<number> {
  const vk = varyKey(url)
  const keys: string[] = []
  for await (const e of cache.entries({ prefix: `${vk}|` })) if (e.key !== undefined) keys.push(e.key)
  keys.push(vk)
  let n = 0
  for (const k of keys) if (await cache.delete(k)) n++
  return n
}
