/**
 * What a key stands for, in words: a stored page's method and URL (Django's page keys are
 * hashes: `views.decorators.cache.cache_page.<prefix>.GET.<md5(url)>.<md5(headers)>`), a page's
 * learned header list, a template fragment's name; and the prefix group a key belongs to.
 */
import type { WireEntry, WireHttpSummary } from '@cachework/core/inspect'

const PAGE = 'views.decorators.cache.cache_page.'
const HEADER = 'views.decorators.cache.cache_header.'
const FRAGMENT = 'template.cache.'

/** The md5 of the URL inside a page or header-list key, when it is one. */
export function urlDigestOf(key: string): string | undefined {
  if (key.startsWith(PAGE)) return /\.(?:GET|HEAD)\.([0-9a-f]{32})\./.exec(key)?.[1]
  if (key.startsWith(HEADER)) return /\.([0-9a-f]{32})(?:\.|$)/.exec(key)?.[1]
  return undefined
}

/**
 * The label shown for an entry: `GET https://…/path` for a stored page, `headers of …` for a
 * learned header list (its URL found through the page stored under the same digest),
 * `fragment <name>` for a template fragment, else the key.
 */
export function entryLabel(e: WireEntry, urlByDigest: ReadonlyMap<string, string>): string {
  const key = e.key ?? e.rawKey
  if (e.http?.url)
    return `${e.http.method ?? 'GET'} ${e.http.url}${e.http.vary ? `  (Vary: ${e.http.vary})` : ''}`
  if (key.startsWith(HEADER)) {
    const url = urlByDigest.get(urlDigestOf(key) ?? '')
    const list = e.headerList?.length ? e.headerList.join(', ') : 'no headers'
    return `headers of ${url ?? 'a page'}: ${list}`
  }
  if (key.startsWith(FRAGMENT)) {
    const name = key.slice(FRAGMENT.length).split('.')[0]
    return `fragment ${name}`
  }
  return key
}

/** The prefix group of a key: Django's page keys by kind, else the text before the first `:`, `/` or `.`. */
export function keyPrefix(key: string): string {
  if (key.startsWith(PAGE)) return 'cache_page'
  if (key.startsWith(HEADER)) return 'cache_header'
  if (key.startsWith(FRAGMENT)) return `fragment ${key.slice(FRAGMENT.length).split('.')[0]}`
  const m = /^(.+?)[:/.]/.exec(key)
  if (m) return m[1] as string
  const dash = /^([A-Za-z]+)[-_]/.exec(key)
  return dash ? (dash[1] as string) : '(no prefix)'
}

/** Freshness of a stored response (RFC 9111 §4.2): lifetime, current age, fresh or stale. */
export interface Freshness {
  /** Seconds the response is fresh for, or null when unknown. */
  lifetime: number | null
  /** Seconds since the origin made it (the stored `Age` plus the time in this cache). */
  age: number
  fresh: boolean
  /** Seconds of freshness left (0 when stale). */
  remaining: number
}

/** Freshness from a response's headers, the time it was stored and the cache entry's expiry. */
export function freshness(
  http: Pick<WireHttpSummary, 'storedAt' | 'maxAge'> & { headers?: Array<[string, string]> },
  expiresAt: number | null,
  now: number,
): Freshness {
  let maxAge = http.maxAge
  let upstream = 0
  for (const [n, v] of http.headers ?? []) {
    const name = n.toLowerCase()
    if (name === 'age') upstream = Number.parseInt(v, 10) || 0
    if (name === 'cache-control' && maxAge === undefined) {
      const m = /(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*"?(\d+)/i.exec(v)
      if (m) maxAge = Number(m[1])
    }
  }
  const age = Math.max(0, Math.floor((now - http.storedAt) / 1000)) + upstream
  const lifetime =
    maxAge ??
    (expiresAt === null ? null : Math.max(0, Math.round((expiresAt - http.storedAt) / 1000)) + upstream)
  const remaining = lifetime === null ? Number.POSITIVE_INFINITY : Math.max(0, lifetime - age)
  return { lifetime, age, fresh: lifetime === null || age < lifetime, remaining }
}

/** The share of an entry's life left, 0..1, for the TTL bars; null for entries that never expire. */
export function lifeLeft(
  e: Pick<WireEntry, 'expiresAt' | 'http'>,
  firstSeen: number,
  now: number,
): number | null {
  if (e.expiresAt === null) return null
  const start = e.http?.storedAt ?? firstSeen
  const total = e.expiresAt - start
  if (total <= 0) return e.expiresAt > now ? 1 : 0
  return Math.min(1, Math.max(0, (e.expiresAt - now) / total))
}
