/**
 * A cache hit, once for every adapter: where a request's stored page is (Django 6.1
 * `get_cache_key` then `cache.get`, a HEAD served from a stored GET first), read synchronously
 * when the backend can peek, and the page made ready to write (its headers as one list, `Age`
 * added per hit). The engine's `fetchFromCache` and the adapters' direct hit paths (node:http,
 * Express, Fastify, Koa, Hono) use these, so they key alike and serve alike (docs/contract.md
 * rule 20); an adapter only turns a `PreparedPage` into its own way of writing a response.
 */
import { NO_PEEK, peekShared } from '../peek.ts'
import type { Cache } from '../types.ts'
import type { StoredResponse } from './body.ts'
import {
  headerKeyFor,
  isHeaderList,
  type KeyOptions,
  type KeyRequest,
  pageKeyFor,
  uriDigest,
} from './keys.ts'
import { boundView } from './request-view.ts'
import { isServablePage } from './stored-page.ts'

/** A lookup's answer: the stored page, `undefined` on a miss, or `NO_PEEK` (ask the async path). */
export type PageLookup = StoredResponse | undefined | typeof NO_PEEK

/** The stored page for a GET/HEAD request (a HEAD is served from a stored GET first, as Django). */
export async function lookupPage(
  cache: Cache,
  request: KeyRequest,
  method: string,
  opts: KeyOptions,
): Promise<StoredResponse | undefined> {
  // Both keys hold the URI's md5: worked out once.
  const digest = uriDigest(request)
  const headerList = await cache.get<unknown>(headerKeyFor(digest, request, opts))
  if (!isHeaderList(headerList)) return undefined
  const got = await cache.get<unknown>(pageKeyFor(digest, request, 'GET', headerList, opts))
  if (isServablePage(got)) return got
  if (method !== 'HEAD') return undefined
  const head = await cache.get<unknown>(pageKeyFor(digest, request, 'HEAD', headerList, opts))
  return isServablePage(head) ? head : undefined
}

/**
 * `lookupPage` without a promise or a copy, for a backend that can peek (locmem with nobody
 * listening): the cache's own stored page (never to be changed), `undefined` on a miss, or
 * `NO_PEEK` (then use `lookupPage`). `systemNow`: a `Date.now()` the caller just read, which a
 * backend on the system clock judges expiry by (one clock read for the lookups, peek.ts).
 */
export function peekPage(
  cache: Cache,
  request: KeyRequest,
  method: string,
  opts: KeyOptions,
  systemNow?: number,
): PageLookup {
  // An adapter's view, keys without i18n/time-zone suffixes: the URL's keys may be indexed, by
  // the view's target and origin when it has them apart (no whole URL to make and hash), else
  // by its URL (origin '').
  const view = opts.i18n === undefined && opts.timeZone === undefined ? boundView(request) : undefined
  let indexKey: string | undefined
  let origin = ''
  if (view !== undefined) {
    const target = view.target
    const o = view.origin
    if (target !== undefined && o !== undefined) {
      indexKey = target
      origin = o
    } else indexKey = view.url
  }
  const known = indexKey === undefined ? undefined : urlKeys.get(indexKey)?.get(origin)
  const keyPrefix = opts.keyPrefix ?? ''
  let digest: string
  let headerKey: string
  // The index entry made for this URL and key prefix, when there is one.
  let entry: UrlKeys | undefined
  if (known !== undefined && known.keyPrefix === keyPrefix) {
    entry = known
    digest = known.digest
    headerKey = known.headerKey
  } else {
    digest = known !== undefined ? known.digest : uriDigest(request)
    headerKey = flat(headerKeyFor(digest, request, opts))
  }
  // Peeked on every hit, indexed or not: the backend judges expiry, deletion and replacement.
  const headerList = peekShared(cache, headerKey, systemNow)
  // Whether a backend can peek does not change between two synchronous calls.
  if (headerList === NO_PEEK) return NO_PEEK
  if (!isHeaderList(headerList)) return undefined
  if (indexKey !== undefined && known === undefined)
    entry = indexUrlKeys(indexKey, origin, digest, keyPrefix, headerKey, headerList)
  // With no varying headers (and no i18n/time-zone suffix, or there is no entry), the GET key is
  // a function of the entry's digest and prefix: kept with it, made by its first hit.
  let getKey: string
  if (entry !== undefined && headerList.length === 0) {
    getKey = entry.getKey ?? getPageKey(digest, request, headerList, opts)
    entry.getKey = getKey
  } else getKey = getPageKey(digest, request, headerList, opts)
  const got = peekShared(cache, getKey, systemNow)
  if (isServablePage(got)) return got
  if (method !== 'HEAD') return undefined
  const head = peekShared(cache, flat(pageKeyFor(digest, request, 'HEAD', headerList, opts)), systemNow)
  return isServablePage(head) ? head : undefined
}

/** What a URL's header-list lookup is made of (`urlKeys`). */
interface UrlKeys {
  /** Where it is indexed: the view's target (with its `origin`), or its URL (origin `''`). */
  readonly key: string
  readonly origin: string
  /** `uriDigest` of the URL (a function of the URL alone). */
  readonly digest: string
  readonly keyPrefix: string
  /** `headerKeyFor(digest, …, { keyPrefix })`, flat; V8 keeps its hash from its first lookup. */
  readonly headerKey: string
  /** The GET page key for an empty header list (`getPageKey`), made by the first hit that needs it. */
  getKey: string | undefined
}

/**
 * A view's URL → its digest and header key, for the URLs whose header list a peek found: by the
 * view's target, then its origin (a view with the two apart: the adapter's one origin string per
 * host keeps its hash, and the whole URL is never made), or by its URL, then `''`. Not a
 * memo a working set can outgrow (issue 19): an entry lives as long as the stored header-list
 * object it was made for (the backend's own value, peeked), and is dropped when that object is
 * collected (`urlKeysFreed`), so the index holds at most one entry per header list the cache
 * holds (plus those removed but not yet collected), whatever the number of URLs. A URL not in it
 * is one whose header list this process has not peeked (nearly always a page miss, which renders
 * the view anyway) and costs one `Map` miss. A hit still peeks the header list by the key, so
 * expiry, deletion and replacement are the backend's to judge, as without the index; an entry
 * outliving a replaced list is still right (its fields are functions of the URL and prefix) and
 * goes when the list it was made for is collected (the next hit makes it again).
 */
const urlKeys = new Map<string, Map<string, UrlKeys>>()

/** Drop `keys` from `urlKeys` unless another entry for its URL replaced it (the registry's callback). */
export function dropUrlKeys(keys: UrlKeys): void {
  const byOrigin = urlKeys.get(keys.key)
  if (byOrigin === undefined || byOrigin.get(keys.origin) !== keys) return
  byOrigin.delete(keys.origin)
  if (byOrigin.size === 0) urlKeys.delete(keys.key)
}

// No registry (a runtime without FinalizationRegistry): nothing is indexed, nothing could leak.
const urlKeysFreed: FinalizationRegistry<UrlKeys> | undefined =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(dropUrlKeys) : undefined

function indexUrlKeys(
  key: string,
  origin: string,
  digest: string,
  keyPrefix: string,
  headerKey: string,
  list: object,
): UrlKeys | undefined {
  if (urlKeysFreed === undefined) return undefined
  const keys: UrlKeys = { key, origin, digest, keyPrefix, headerKey, getKey: undefined }
  let byOrigin = urlKeys.get(key)
  if (byOrigin === undefined) {
    byOrigin = new Map()
    urlKeys.set(key, byOrigin)
  }
  byOrigin.set(origin, keys)
  urlKeysFreed.register(list, keys)
  return keys
}

/**
 * Whether `peekPage` holds an index entry for `url`, indexed by the URL or by a target and
 * origin that make it (for tests: entries go with their header lists).
 */
export function isUrlIndexed(url: string): boolean {
  if (urlKeys.get(url)?.has('') === true) return true
  for (const [target, byOrigin] of urlKeys)
    for (const origin of byOrigin.keys()) if (origin !== '' && origin + target === url) return true
  return false
}

/** The GET page key worked out for a peeked header-list entry (`getPageKey`). */
interface EntryGetKey {
  readonly digest: string
  readonly keyPrefix: string
  readonly key: string
}

// Per stored header-list entry (the backend's own object, gone with it), not per URL: a working
// set of any size keeps one per page the cache holds, so no larger one defeats it (issue 19).
const entryGetKeys = new WeakMap<object, EntryGetKey>()

/**
 * The GET page key for a peeked header list. With no varying headers and no i18n/time-zone
 * suffix, the key is a function of the header-list entry's own key (its digest and key prefix),
 * so the flat key string made by the entry's first hit is kept with the entry: later hits skip
 * two concatenations, a flattening and V8's hashing of the ~104-character key for the lookup (a
 * string keeps its hash). The digest and prefix are compared, so a list object shared by two
 * entries still gets each its own key.
 */
function getPageKey(digest: string, request: KeyRequest, headerList: string[], opts: KeyOptions): string {
  if (headerList.length !== 0 || opts.i18n !== undefined || opts.timeZone !== undefined)
    return flat(pageKeyFor(digest, request, 'GET', headerList, opts))
  const keyPrefix = opts.keyPrefix ?? ''
  const known = entryGetKeys.get(headerList)
  if (known !== undefined && known.digest === digest && known.keyPrefix === keyPrefix) return known.key
  const key = flat(pageKeyFor(digest, request, 'GET', headerList, opts))
  if (known === undefined) entryGetKeys.set(headerList, { digest, keyPrefix, key })
  return key
}

// Written by `flat`, so the read that flattens its string is never dropped as unused.
let _firstCode = 0

/**
 * `key` (a concatenation, which V8 keeps as a tree of its parts) made one flat string before a
 * `Map` looks it up: reading a character flattens it once, where the lookup's hash and its key
 * comparison would each copy the parts out again (~450 fewer instructions a lookup, callgrind).
 */
function flat(key: string): string {
  _firstCode = key.charCodeAt(0)
  return key
}

const CONDITIONAL = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since'] as const

/** Whether a request carries a precondition (RFC 9110 §13.1): core's path answers its 304/412. */
export function isConditionalRequest(headers: { get(name: string): string | null }): boolean {
  for (const name of CONDITIONAL) if (headers.get(name) !== null) return true
  return false
}

/** A stored page made ready to write: its headers once, `Age` left out (it changes per hit). */
export interface PreparedPage {
  /** name, value, name, value… (lower-case names), with `Content-Length` added when the page had none. */
  readonly raw: readonly string[]
  /** The same headers as one object (a name met twice is joined with `, `, as Fetch `Headers` does). */
  readonly record: Readonly<Record<string, string>>
  /** The `Age` the origin sent (RFC 9111 §4.2.3), 0 when none. */
  readonly upstream: number
  /**
   * Whether a field is named `__proto__` (a token, RFC 9110 §5.1): a Fetch `Headers` built
   * from a header object drops that key (WebIDL's record conversion stores it into a `{}`), so
   * an adapter that hands a Fetch runtime a header object builds a `Headers` for such a page.
   */
  readonly protoField: boolean
  /** The body as the adapter likes to write it (e.g. a latin1 string), made by its first hit. */
  text?: string
  /** `raw` with an `age` slot at the end, for an adapter that fills the slot per hit (made by its first hit). */
  withAge?: string[]
  /** The headers as a plain object with an `age` slot, for an adapter that copies it per hit (made by its first hit). */
  fields?: Record<string, string>
  /** `fields` for an adapter whose server writes `Content-Length` from the body it sends (made by its first hit). */
  bodyFields?: Record<string, string>
  /** The body as a string when it is ASCII (so encodes to the same bytes), else null; made by a Fetch adapter's first hit. */
  ascii?: string | null
}

function prepare(stored: StoredResponse): PreparedPage {
  const raw: string[] = []
  // No prototype: a header named `__proto__` is an ordinary key.
  const record: Record<string, string> = Object.create(null)
  let upstream = 0
  let protoField = false
  for (const [name, value] of stored.headers) {
    if (name === '__proto__') protoField = true
    if (name === 'age') {
      upstream = Number.parseInt(value, 10) || 0
      continue
    }
    raw.push(name, value)
    const had = record[name]
    record[name] = had === undefined ? value : `${had}, ${value}`
  }
  // A HEAD answered from a cached GET announces the GET's length (RFC 9110 §9.3.2).
  if (record['content-length'] === undefined) {
    const length = String(stored.body.byteLength)
    raw.push('content-length', length)
    record['content-length'] = length
  }
  // Every field from the start: one object shape for every page, however it is written.
  return {
    raw,
    record,
    upstream,
    protoField,
    text: undefined,
    withAge: undefined,
    fields: undefined,
    bodyFields: undefined,
    ascii: undefined,
  }
}

// Peeked pages are the cache's own objects and keep their identity from hit to hit, so each is
// prepared once. (A page read with `get` is a fresh copy, prepared per hit.)
const preparedPages = new WeakMap<StoredResponse, PreparedPage>()

/**
 * `stored` ready to write. `shared`: the page is the cache's own object (peeked), so what is
 * worked out here is kept for its next hit; otherwise it is worked out for this hit only.
 */
export function preparePage(stored: StoredResponse, shared: boolean): PreparedPage {
  if (!shared) return prepare(stored)
  let p = preparedPages.get(stored)
  if (p === undefined) {
    p = prepare(stored)
    preparedPages.set(stored, p)
  }
  return p
}

/** `Age` (RFC 9111 §4.2.3): the age the origin gave plus the whole seconds spent in this cache. */
export function hitAge(stored: StoredResponse, page: PreparedPage, now: number): string {
  return String(page.upstream + Math.max(0, Math.floor((now - stored.storedAt) / 1000)))
}
