/**
 * Page-cache keys computed straight from an `IncomingMessage`, for the hit path: the same
 * strings core's `cacheHeaderKey`/`pageCacheKey` build from a Fetch `Request` (Django 6.1's
 * `_generate_cache_header_key`/`_generate_cache_key`, django/utils/cache.py), without building one.
 * node:crypto's md5 gives the same digest as core's portable md5, faster.
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex')

/** Core's `absoluteUri(new Request(url))`: an empty query (`?` alone) is dropped, as Django does. */
export function keyUri(url: string): string {
  return url.endsWith('?') ? url.slice(0, -1) : url
}

// Hot pages are asked for again and again: remember the last URLs' digests (bounded; a plain
// function of the URL, so there is nothing to invalidate).
const digests = new Map<string, string>()
const MAX_DIGESTS = 1024

/** The md5 of an absolute URL as it goes into both keys (memoized for recent URLs). */
export function urlDigest(url: string): string {
  let d = digests.get(url)
  if (d === undefined) {
    d = md5(keyUri(url))
    if (digests.size >= MAX_DIGESTS) digests.clear()
    digests.set(url, d)
  }
  return d
}

/** `views.decorators.cache.cache_header.<prefix>.<md5 of URL>`, from `urlDigest(url)`. */
export function nodeHeaderKey(urlHash: string, keyPrefix: string): string {
  return `views.decorators.cache.cache_header.${keyPrefix}.${urlHash}`
}

/**
 * A request header's value as Fetch `Headers.get` gives it: every occurrence in order, joined
 * with `, ` (Node joins repeated `Cookie` headers with `; `, Fetch does not), or `null`.
 */
export function fetchHeaderValue(req: IncomingMessage, name: string): string | null {
  const raw = req.rawHeaders
  let out: string | null = null
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i] as string
    if (k.length === name.length && k.toLowerCase() === name) {
      const v = raw[i + 1] as string
      out = out === null ? v : `${out}, ${v}`
    }
  }
  return out
}

/** `HTTP_ACCEPT_LANGUAGE` → `accept-language`. */
function metaToHeader(meta: string): string {
  return (meta.startsWith('HTTP_') ? meta.slice(5) : meta).replace(/_/g, '-').toLowerCase()
}

/** Core's `varyDigest`: md5 over netstrings of the varying values, `-,` for an absent header. */
export function nodeVaryDigest(req: IncomingMessage, headerList: readonly string[]): string {
  if (headerList.length === 0) return 'd41d8cd98f00b204e9800998ecf8427e'
  const h = createHash('md5')
  for (const meta of headerList) {
    const value = fetchHeaderValue(req, metaToHeader(meta))
    if (value === null) {
      h.update('-,')
    } else {
      // A Fetch header value is a byte string; core UTF-8-encodes it, so do the same here.
      const data = Buffer.from(value, 'utf8')
      h.update(`${data.length}:`)
      h.update(data)
      h.update(',')
    }
  }
  return h.digest('hex')
}

/** `views.decorators.cache.cache_page.<prefix>.<METHOD>.<md5 of URL>.<vary digest>`, from `urlDigest(url)`. */
export function nodePageKey(
  req: IncomingMessage,
  urlHash: string,
  method: string,
  headerList: readonly string[],
  keyPrefix: string,
): string {
  return `views.decorators.cache.cache_page.${keyPrefix}.${method}.${urlHash}.${nodeVaryDigest(req, headerList)}`
}
