/**
 * `Cache-Control` helpers: Django 6.1's `patch_cache_control` and `get_max_age`
 * (django/utils/cache.py) on Fetch API `Headers`.
 */
import { splitList } from './rfc9111/directives.ts'

/** A `Headers`, or anything carrying one (a `Response` or `Request`). */
export type HeadersTarget = Headers | { readonly headers: Headers }

/**
 * Directives for `patchCacheControl`, camel-cased (`maxAge` → `max-age`, `sMaxage` →
 * `s-maxage`); Django's snake case (`max_age`) works too. `true` writes the bare directive,
 * a number or string writes `name=value`, `false` removes it (Django would write `=False`).
 */
export interface CacheControlDirectives {
  maxAge?: number
  sMaxage?: number
  public?: boolean
  private?: boolean
  /** `true`: bare `no-cache`; a field name or list: one `no-cache=<field>` per field. */
  noCache?: boolean | string | string[]
  noStore?: boolean
  noTransform?: boolean
  mustRevalidate?: boolean
  proxyRevalidate?: boolean
  immutable?: boolean
  staleWhileRevalidate?: number
  staleIfError?: number
  [other: string]: boolean | number | string | string[] | undefined
}

/** The `Headers` of a target. */
export function headersOf(target: HeadersTarget): Headers {
  const h = (target as { headers?: unknown }).headers
  if (h !== undefined && h !== null && typeof (h as Headers).get === 'function') return h as Headers
  if (typeof (target as Headers).get === 'function' && typeof (target as Headers).set === 'function') {
    return target as Headers
  }
  throw new TypeError('Expected a Headers object or something with `headers` (a Response or Request)')
}

/**
 * Django 6.1's `split_header_value`: split on `,`, strip each part, drop empty parts.
 * (3.2 kept empty parts; that produced `Vary: , Cookie` from an empty header.)
 */
export function splitHeaderValue(value: string | null | undefined): string[] {
  // The RFC 9111 toolkit's list splitter, with every comma splitting (Django ignores quotes).
  return splitList(value, false)
}

type DirectiveValue = string | true
type ParsedValue = DirectiveValue | Set<DirectiveValue>

/** Parse `Cache-Control` into an ordered map; `no-cache` collects its fields (Django §3.1 step 1). */
export function parseCacheControl(value: string | null | undefined): Map<string, ParsedValue> {
  const cc = new Map<string, ParsedValue>()
  for (const part of splitHeaderValue(value)) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    const v: DirectiveValue = eq === -1 ? true : part.slice(eq + 1)
    if (name === 'no-cache') {
      const prev = cc.get(name)
      const set = prev instanceof Set ? prev : new Set<DirectiveValue>()
      set.add(v)
      cc.set(name, set)
    } else {
      cc.set(name, v)
    }
  }
  return cc
}

/** The lowercased directive names of `Cache-Control` (qualified forms reduced to the name). */
export function cacheControlNames(target: HeadersTarget): Set<string> {
  return new Set(parseCacheControl(headersOf(target).get('cache-control')).keys())
}

/** `maxAge` → `max-age`, `sMaxage` → `s-maxage`, `max_age` → `max-age`. */
function directiveName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase()
}

// Python's int(): optional sign, digits, surrounding whitespace.
function pyInt(v: DirectiveValue): number | undefined {
  if (v === true) return 1 // int(True) — Django's quirk for a bare `max-age` (§3.2)
  const s = v.trim()
  return /^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : undefined
}

function formatValue(v: string | number | true): string | true {
  if (v === true) return true
  // Header values must be integers for delta-seconds (RFC 9111 §1.2.2); Django would write 2.5.
  return typeof v === 'number' ? String(Number.isFinite(v) ? Math.floor(v) : v) : v
}

/**
 * Patch `Cache-Control` as Django 6.1's `patch_cache_control` does: existing directives keep
 * their place, new ones are appended, a new `maxAge` keeps the smaller of old and new, and
 * `public`/`private` replace each other. The header is always written (`''` for no directives).
 */
export function patchCacheControl(target: HeadersTarget, directives: CacheControlDirectives): void {
  const headers = headersOf(target)
  const cc = parseCacheControl(headers.get('cache-control'))
  const entries: [string, Exclude<CacheControlDirectives[string], undefined>][] = []
  for (const [k, v] of Object.entries(directives)) if (v !== undefined) entries.push([directiveName(k), v])

  // §3.1 step 2: min of an existing max-age and the new one (an unparsable old one is replaced).
  const existingMax = cc.get('max-age')
  if (existingMax !== undefined && !(existingMax instanceof Set)) {
    const old = pyInt(existingMax)
    for (const e of entries) {
      if (e[0] === 'max-age' && typeof e[1] === 'number' && old !== undefined) e[1] = Math.min(old, e[1])
    }
  }
  // §3.1 step 3 (only for a truthy value: `public: false` means "not public", not "drop private").
  const wants = (name: string) => entries.some(([n, v]) => n === name && v !== false)
  if (cc.has('private') && wants('public')) cc.delete('private')
  else if (cc.has('public') && wants('private')) cc.delete('public')

  for (const [name, v] of entries) {
    if (v === false) {
      cc.delete(name)
    } else if (name === 'no-cache') {
      const prev = cc.get(name)
      const set = prev instanceof Set ? prev : new Set<DirectiveValue>()
      for (const item of Array.isArray(v) ? v : [v]) set.add(item === true ? true : String(item))
      cc.set(name, set)
    } else {
      cc.set(name, formatValue(Array.isArray(v) ? v.join(', ') : v))
    }
  }

  const out: string[] = []
  for (const [name, v] of cc) {
    if (v instanceof Set) {
      // "True takes precedence": a bare no-cache replaces the field-qualified ones.
      if (v.has(true)) out.push(name)
      else for (const field of v) out.push(`${name}=${field as string}`)
    } else {
      out.push(v === true ? name : `${name}=${v}`)
    }
  }
  headers.set('cache-control', out.join(', '))
}

/**
 * The `max-age` of `Cache-Control` in seconds, or `undefined` when there is no header or no
 * integer `max-age` (Django's `get_max_age`; a bare `max-age` gives 1, as `int(True)` does).
 */
export function getMaxAge(target: HeadersTarget): number | undefined {
  const value = headersOf(target).get('cache-control')
  if (value === null) return undefined
  const v = parseCacheControl(value).get('max-age')
  if (v === undefined || v instanceof Set) return undefined
  return pyInt(v === '' ? true : v)
}
