/**
 * Validation and reuse (RFC 9111 §4.3, §3.1, §3.2): the conditional request a cache sends, how a
 * `304` freshens what is stored, and which stored header fields are left out on reuse.
 */
import { directiveFields, splitList } from './directives.ts'
import { type HeaderList, headerValue, responseDirectives } from './freshness.ts'

/**
 * `If-None-Match` (the stored `ETag`s, RFC 9111 §4.3.1: every stored variant's tag may be sent)
 * and `If-Modified-Since` (the stored `Last-Modified`) for validating `stored`. `otherEtags` are
 * the tags of other stored variants of the URL (a `Vary` mismatch can still be validated).
 */
export function conditionalHeaders(
  stored: HeaderList,
  otherEtags: readonly string[] = [],
): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const tags: string[] = []
  const own = headerValue(stored, 'etag')
  if (own !== undefined) tags.push(own)
  for (const t of otherEtags) if (!tags.includes(t)) tags.push(t)
  if (tags.length) out.push(['if-none-match', tags.join(', ')])
  const lm = headerValue(stored, 'last-modified')
  if (lm !== undefined) out.push(['if-modified-since', lm])
  return out
}

/**
 * Headers a `304` does not overwrite in the stored response: message framing (RFC 9111 §3.2)
 * and the representation's own identity (`ETag`, `Content-MD5`), which a 304 cannot change.
 */
export const KEEP_ON_304: ReadonlySet<string> = new Set([
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'content-range',
  'content-md5',
  'etag',
])

/**
 * Freshen stored headers with those of a `304 Not Modified` (RFC 9111 §4.3.4, §3.2): every
 * header the 304 carries replaces the stored one of that name, except `KEEP_ON_304`.
 */
export function mergeNotModified(stored: HeaderList, notModified: HeaderList): Array<[string, string]> {
  const replaced = new Set<string>()
  for (const [k] of notModified) {
    const lower = k.toLowerCase()
    if (!KEEP_ON_304.has(lower)) replaced.add(lower)
  }
  const out: Array<[string, string]> = stored
    .filter(([k]) => !replaced.has(k.toLowerCase()))
    .map(([k, v]) => [k, v] as [string, string])
  for (const [k, v] of notModified) if (replaced.has(k.toLowerCase())) out.push([k, v])
  return out
}

/** Hop-by-hop fields (RFC 9110 §7.6.1) a cache never stores (RFC 9111 §3.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authentication-info',
  'proxy-authorization',
])

/**
 * The header fields to leave out of a stored response (RFC 9111 §3.1): hop-by-hop fields and
 * those `Connection` names; plus, on reuse without validation, the fields a qualified
 * `no-cache="…"` lists (§5.2.2.4) and, for a shared cache, `private="…"` (§5.2.2.7).
 */
export function fieldsToOmit(
  headers: HeaderList,
  opts: { reuse?: boolean; shared?: boolean } = {},
): Set<string> {
  const out = new Set<string>(HOP_BY_HOP)
  for (const name of splitList(headerValue(headers, 'connection'))) out.add(name.toLowerCase())
  if (opts.reuse) {
    const cc = responseDirectives(headers)
    for (const f of directiveFields(cc, 'no-cache')) out.add(f)
    if (opts.shared) for (const f of directiveFields(cc, 'private')) out.add(f)
  }
  return out
}

/** `headers` without the names in `omit`. */
export function withoutFields(headers: HeaderList, omit: ReadonlySet<string>): Array<[string, string]> {
  return headers.filter(([k]) => !omit.has(k.toLowerCase())).map(([k, v]) => [k, v] as [string, string])
}
