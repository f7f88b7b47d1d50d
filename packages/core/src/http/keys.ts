/**
 * Page-cache keys: Django 6.1's `get_cache_key`, `learn_cache_key` and their key generators
 * (django/utils/cache.py), on Fetch API `Request`s. Keys are returned before the backend's
 * `makeKey`, so they equal Django's for the same request.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { type CacheRegistry, resolveCache } from '../registry.ts'
import type { Cache } from '../types.ts'
import { splitHeaderValue } from './cache-control.ts'
import { parseFetchUrl } from './fetch-url.ts'
import { DEFAULT_CACHE_SECONDS } from './headers.ts'
import { md5Hex } from './md5.ts'
import { boundView, isRequestView, type RequestView } from './request-view.ts'

/** What page keys are made from: a Fetch `Request`, or an adapter's `RequestView`. */
export type KeyRequest = Request | RequestView

/** How the page-cache keys of a request are built (shared by the helpers and the engine). */
export interface KeyOptions {
  /** Django's `CACHE_MIDDLEWARE_KEY_PREFIX`. Default `''`. */
  keyPrefix?: string
  /** An alias name or a `Cache`. Default: the `default` alias of `caches` (or of `registry`). */
  cache?: string | Cache
  /** Where alias names are looked up. Default: the process-wide `caches`. */
  registry?: CacheRegistry
  /**
   * Django's `USE_I18N`: the language the response is rendered in for this request (e.g. from
   * a locale middleware). When given, it is appended to keys and `Accept-Language` is left out
   * of the learned header list, since the language suffix already covers it. Default: none.
   */
  i18n?: (request: Request) => string | undefined
  /** Django's `USE_TZ`: the request's current time zone name, appended to keys. Default: none. */
  timeZone?: (request: Request) => string | undefined
}

/**
 * Django's `request.build_absolute_uri()`: `scheme://host[:port]/path?query`, the raw query
 * string kept and the fragment dropped (a `?` with nothing after it is dropped, as in Django).
 * A `RequestView`'s URL is taken as the adapter spelled it (what the application routes on),
 * never re-normalised (docs/contract.md rule 20).
 */
export function absoluteUri(request: KeyRequest): string {
  const view = boundView(request)
  if (view !== undefined) {
    const url = view.url
    return url.indexOf('?') === url.length - 1 ? url.slice(0, -1) : url
  }
  return parseFetchUrl((request as Request).url).uri
}

/**
 * The md5 of the request's absolute URI, which both of its keys contain: a lookup works it out
 * once and gives it to `headerKeyFor` and `pageKeyFor`. No memo of URIs' digests: a bounded one
 * (the last 1,024 URIs, cleared when full) was defeated by any site of more distinct URLs, where
 * every request then paid slow md5s, a Map insert and old-space garbage (issue 19). md5Hex is
 * cheap enough to run once per request instead.
 */
export function uriDigest(request: KeyRequest): string {
  return md5Hex(absoluteUri(request))
}

// Django's `_i18n_cache_key_suffix` (§3.7).
function i18nSuffix(request: KeyRequest, key: string, opts: KeyOptions): string {
  if (opts.i18n === undefined && opts.timeZone === undefined) return key
  const fetchRequest = isRequestView(request) ? request.toRequest?.() : request
  if (fetchRequest === undefined) {
    throw new TypeError(
      'The i18n/timeZone key options need a Fetch Request: give the RequestView a toRequest()',
    )
  }
  let k = key
  const lang = opts.i18n?.(fetchRequest)
  if (lang !== undefined) k += `.${lang}`
  const tz = opts.timeZone?.(fetchRequest)
  if (tz !== undefined) k += `.${tz}`
  return k
}

/** Django's `_generate_cache_header_key`: where the learned header list of a URL is kept. */
export function cacheHeaderKey(request: KeyRequest, opts: KeyOptions = {}): string {
  return headerKeyFor(uriDigest(request), request, opts)
}

// The fixed starts of the keys for one key prefix (the last one seen), so that a key is `head +
// digest…`: each `+` makes a string (a cons) that the cache's lookup then copies flat, and the
// template joined seven pieces. Not a memo of keys: one entry, a function of the prefix alone (an
// engine's `keyPrefix` never changes), rebuilt at the cost of the template when another comes.
let headsOf = ''
let headerHead = 'views.decorators.cache.cache_header..'
let getHead = 'views.decorators.cache.cache_page..GET.'
let headHead = 'views.decorators.cache.cache_page..HEAD.'

function setHeads(keyPrefix: string): void {
  headerHead = `views.decorators.cache.cache_header.${keyPrefix}.`
  getHead = `views.decorators.cache.cache_page.${keyPrefix}.GET.`
  headHead = `views.decorators.cache.cache_page.${keyPrefix}.HEAD.`
  headsOf = keyPrefix
}

/** `cacheHeaderKey` from the request's `uriDigest`, already worked out. */
export function headerKeyFor(digest: string, request: KeyRequest, opts: KeyOptions): string {
  const keyPrefix = opts.keyPrefix ?? ''
  if (keyPrefix !== headsOf) setHeads(keyPrefix)
  return i18nSuffix(request, headerHead + digest, opts)
}

/** `HTTP_ACCEPT_LANGUAGE` → `accept-language` (Django's META name back to the header name). */
function metaToHeader(meta: string): string {
  return (meta.startsWith('HTTP_') ? meta.slice(5) : meta).replace(/_/g, '-').toLowerCase()
}

// md5 of nothing: the vary digest of an empty header list.
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
const EMPTY_TAIL = `.${EMPTY_MD5}`

/**
 * md5 over the request's values of the (sorted, META-named) varying headers. Each present value
 * is hashed as a netstring `<bytes>:<value>,` (Django 6.1) and an absent one as `-,` (the
 * CVE-2026-113593 fix after 6.1.1), so an absent header never collides with an empty one.
 */
export function varyDigest(request: KeyRequest, headerList: readonly string[]): string {
  if (headerList.length === 0) return EMPTY_MD5
  const view = boundView(request)
  const chunks: Uint8Array[] = []
  for (const meta of headerList) {
    const name = metaToHeader(meta)
    const value = view === undefined ? (request as Request).headers.get(name) : view.header(name)
    if (value === null) {
      chunks.push(utf8ToBytes('-,'))
    } else {
      // Django encodes the latin-1 decoded META string as UTF-8; a Fetch header value is a
      // byte string (one char per byte), so encoding it as UTF-8 gives the same bytes.
      const data = utf8ToBytes(value)
      chunks.push(utf8ToBytes(`${data.length}:`), data, utf8ToBytes(','))
    }
  }
  let total = 0
  for (const c of chunks) total += c.length
  const all = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.length
  }
  return md5Hex(all)
}

/** Django's `_generate_cache_key`: the page key for one method and header list. */
export function pageCacheKey(
  request: KeyRequest,
  method: string,
  headerList: readonly string[],
  opts: KeyOptions = {},
): string {
  return pageKeyFor(uriDigest(request), request, method, headerList, opts)
}

/** `pageCacheKey` from the request's `uriDigest`, already worked out. */
export function pageKeyFor(
  digest: string,
  request: KeyRequest,
  method: string,
  headerList: readonly string[],
  opts: KeyOptions,
): string {
  const keyPrefix = opts.keyPrefix ?? ''
  if (keyPrefix !== headsOf) setHeads(keyPrefix)
  const head =
    method === 'GET'
      ? getHead
      : method === 'HEAD'
        ? headHead
        : `views.decorators.cache.cache_page.${keyPrefix}.${method}.`
  const tail = headerList.length === 0 ? EMPTY_TAIL : `.${varyDigest(request, headerList)}`
  return i18nSuffix(request, head + digest + tail, opts)
}

/**
 * The META-style header list Django learns from a response's `Vary` (`HTTP_COOKIE`, sorted);
 * `Accept-Language` is left out when `i18n` is in use.
 */
export function varyHeaderList(response: { readonly headers: Headers }, opts: KeyOptions = {}): string[] {
  const vary = response.headers.get('vary')
  if (vary === null) return []
  const list: string[] = []
  for (const part of splitHeaderValue(vary)) {
    const meta = part.toUpperCase().replace(/-/g, '_')
    if (meta !== 'ACCEPT_LANGUAGE' || opts.i18n === undefined) list.push(`HTTP_${meta}`)
  }
  return list.sort()
}

/**
 * The page key for `request` from the header list learned earlier for its URL, or `undefined`
 * when nothing was learned (Django's `get_cache_key`; `method` defaults to `'GET'`).
 */
export async function getCacheKey(
  request: Request,
  opts: KeyOptions & { method?: string } = {},
): Promise<string | undefined> {
  const cache = resolveCache(opts.cache, opts.registry)
  const headerList = await cache.get<unknown>(cacheHeaderKey(request, opts))
  if (!isHeaderList(headerList)) return undefined
  return pageCacheKey(request, opts.method ?? 'GET', headerList, opts)
}

/**
 * Learn which headers `response` varies on, store that list for the URL for `timeout` seconds
 * (default 600), and return the page key for the request's method (Django's `learn_cache_key`).
 */
export async function learnCacheKey(
  request: Request,
  response: { readonly headers: Headers },
  opts: KeyOptions & { timeout?: number } = {},
): Promise<string> {
  const cache = resolveCache(opts.cache, opts.registry)
  const headerList = varyHeaderList(response, opts)
  await cache.set(cacheHeaderKey(request, opts), headerList, opts.timeout ?? DEFAULT_CACHE_SECONDS)
  return pageCacheKey(request, request.method, headerList, opts)
}

/** Whether a value read back from a cache is a learned header list. */
export function isHeaderList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false
  // A loop, not `every`: read on every hit, and the callback was a closure made per call.
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false
  return true
}
