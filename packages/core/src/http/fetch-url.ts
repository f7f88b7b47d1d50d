/**
 * One parse of a Fetch `Request`'s URL for both things read of it: the scheme and host the host
 * check validates (hosts.ts, docs/contract.md rule 20a) and the absolute URI page keys are made
 * of (keys.ts `absoluteUri`, Django's `build_absolute_uri()`). Both are exactly what WHATWG URL
 * parsing (`new URL(url)`) gives: a URL already in the form that parsing leaves unchanged (the
 * usual request URL) is read by slicing it, anything else is handed to `new URL`.
 */

/** What is read of a Fetch `Request`'s URL, as `new URL(url)` gives it. */
export interface FetchUrl {
  /** `URL.protocol` (`'http:'`, `'https:'`). */
  readonly protocol: string
  /** `URL.host`: the host, and the port unless it is the scheme's default. */
  readonly host: string
  /** `protocol//host` + `URL.pathname` + `URL.search`: no userinfo, no fragment, no empty `?`. */
  readonly uri: string
}

/** `url` parsed as `new URL(url)` parses it (and throwing as it throws). */
export function parseFetchUrl(url: string): FetchUrl {
  const hostEnd = canonicalHostEnd(url)
  if (hostEnd !== -1) {
    const https = url.charCodeAt(4) === 0x73
    return { protocol: https ? 'https:' : 'http:', host: url.slice(https ? 8 : 7, hostEnd), uri: url }
  }
  const u = new URL(url)
  const protocol = u.protocol
  const host = u.host
  return { protocol, host, uri: `${protocol}//${host}${u.pathname}${u.search}` }
}

// The characters, other than `?`, that WHATWG URL parsing leaves as they are in a special URL's
// path and query and that delimit nothing there: ASCII letters and digits and `-._~!$&()*+,;=:@%/`.
// Fewer than it keeps (`'` is kept in a path but encoded in a query, `[]|^` are left out too):
// anything else just takes `new URL`. A fixed 128-entry table, not a memo.
const KEPT = new Uint8Array(128)
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=:@%/') {
  KEPT[c.charCodeAt(0)] = 1
}

/**
 * Where the host (with its port) of `url` ends, when `url` is a URL that `new URL(url)` leaves
 * exactly as it is, with nothing that `absoluteUri` drops; else -1. That is: `http://` or
 * `https://` in lower case; a host of non-empty lower-case labels of `[a-z0-9-]`, none starting
 * with `xn--` (punycode is decoded and checked), whose last label starts with a letter or
 * hyphen, or else four canonical decimal IPv4 parts (WHATWG reads a host ending in a number as
 * IPv4: `1.2.3` is `1.2.0.3`, `010.1.1.1` is octal); an optional port without a leading zero,
 * at most 65535, not the scheme's default (`:80`/`:443` are dropped); then a path starting with
 * `/` without `.`/`..` segments or `%2e` (dot-segments are resolved), and an optional non-empty
 * query, both of `KEPT` characters only (so no `#`, no `\`, no tab, newline, space, quote or
 * non-ASCII, which parsing strips, rewrites or encodes).
 */
export function canonicalHostEnd(url: string): number {
  const n = url.length
  if (
    n < 8 ||
    url.charCodeAt(0) !== 0x68 || // h
    url.charCodeAt(1) !== 0x74 || // t
    url.charCodeAt(2) !== 0x74 || // t
    url.charCodeAt(3) !== 0x70 // p
  )
    return -1
  const https = url.charCodeAt(4) === 0x73 // s
  let i = https ? 5 : 4
  if (url.charCodeAt(i) !== 0x3a || url.charCodeAt(i + 1) !== 0x2f || url.charCodeAt(i + 2) !== 0x2f)
    return -1
  i += 3
  const hostStart = i
  let label = i
  let c = 0
  for (; i < n; i++) {
    c = url.charCodeAt(i)
    if (c === 0x2e) {
      // An empty label (`.a`, `a..b`) or one WHATWG decodes as punycode.
      if (i === label || isPunycodeLabel(url, label)) return -1
      label = i + 1
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) break
  }
  // An empty host or last label (`http:///`, `a.`), punycode, or a host ending in a number.
  if (i === label || i === n || isPunycodeLabel(url, label)) return -1
  const first = url.charCodeAt(label)
  if (first >= 0x30 && first <= 0x39 && !isDottedQuad(url, hostStart, i)) return -1
  if (c === 0x3a) {
    // The port: 1-5 digits, no leading zero, at most 65535, not the scheme's default.
    const from = ++i
    let port = 0
    for (; i < n; i++) {
      c = url.charCodeAt(i)
      if (c < 0x30 || c > 0x39) break
      port = port * 10 + (c - 0x30)
    }
    const digits = i - from
    if (digits === 0 || digits > 5 || url.charCodeAt(from) === 0x30 || port > 65535) return -1
    if (port === (https ? 443 : 80)) return -1
  }
  if (c !== 0x2f) return -1
  return isCanonicalTargetAt(url, i) ? i : -1
}

/**
 * Whether `url` from `from` (a `/`) to its end is a request target that `new URL` leaves as it
 * is (the path and query part of `canonicalHostEnd`): a path without `.`/`..` segments or `%2e`
 * (dot-segments are resolved), and an optional non-empty query, both of `KEPT` characters only.
 */
export function isCanonicalTargetAt(url: string, from: number): boolean {
  const n = url.length
  if (url.charCodeAt(from) !== 0x2f) return false
  let c = 0
  let i: number
  // The path: `KEPT` characters, no `.`/`..` segment, no `%2e`.
  let segment = from + 1
  for (i = segment; i < n; i++) {
    c = url.charCodeAt(i)
    if (c === 0x2f || c === 0x3f) {
      if (isDotSegment(url, segment, i)) return false
      if (c === 0x3f) break
      segment = i + 1
    } else if (c >= 0x80 || KEPT[c] === 0) {
      return false
    } else if (c === 0x25 && url.charCodeAt(i + 1) === 0x32 && (url.charCodeAt(i + 2) | 0x20) === 0x65) {
      return false
    }
  }
  if (i === n) return !isDotSegment(url, segment, n)
  // The query, after `?`: not empty (`new URL` gives an empty `search` for a bare `?`).
  if (i === n - 1) return false
  for (i++; i < n; i++) {
    c = url.charCodeAt(i)
    if (c !== 0x3f && (c >= 0x80 || KEPT[c] === 0)) return false
  }
  return true
}

/** Whether the label at `from` starts with `xn--`. */
function isPunycodeLabel(url: string, from: number): boolean {
  return (
    url.charCodeAt(from) === 0x78 &&
    url.charCodeAt(from + 1) === 0x6e &&
    url.charCodeAt(from + 2) === 0x2d &&
    url.charCodeAt(from + 3) === 0x2d
  )
}

/** Whether `url[from, to)` is `.` or `..`. */
function isDotSegment(url: string, from: number, to: number): boolean {
  const length = to - from
  if (length === 1) return url.charCodeAt(from) === 0x2e
  return length === 2 && url.charCodeAt(from) === 0x2e && url.charCodeAt(from + 1) === 0x2e
}

/** Whether `url[from, to)` (labels of `[a-z0-9-]`) is an IPv4 address as WHATWG writes one: `d.d.d.d`, 0-255, no leading zeros. */
function isDottedQuad(url: string, from: number, to: number): boolean {
  let parts = 0
  let i = from
  for (;;) {
    const start = i
    let value = 0
    for (; i < to; i++) {
      const c = url.charCodeAt(i)
      if (c < 0x30 || c > 0x39) break
      value = value * 10 + (c - 0x30)
    }
    const digits = i - start
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && url.charCodeAt(start) === 0x30))
      return false
    parts++
    if (i === to) return parts === 4
    if (url.charCodeAt(i) !== 0x2e || parts === 4) return false
    i++
  }
}
