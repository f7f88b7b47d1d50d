/**
 * The stored side of `mode: 'shared'` (shared-cache.ts, docs/contract.md §3b): one entry per URL
 * holding its variants (RFC 9111 §4.1), and the small header helpers the engine shares.
 */
import {
  fieldsToOmit,
  type HeaderList,
  headerValue,
  parseDirectives,
  type StoredMessage,
  varyNames,
  varyValues as varyFieldValues,
  withoutFields,
} from './rfc9111/index.ts'

/** One stored response of a URL (plain data: every backend round-trips it, rule 12). */
export interface SharedVariant extends StoredMessage {
  /** Lower-cased `Vary` names, and the request's normalized values of them. */
  vary: string[]
  varyValues: string
}

/** The entry of one URL: its stored variants, newest first. */
export interface SharedEntry {
  kind: 'cachework.shared'
  url: string
  variants: SharedVariant[]
}

/** Whether a value read back from the cache is a shared entry. */
export function isEntry(v: unknown): v is SharedEntry {
  return typeof v === 'object' && v !== null && (v as SharedEntry).kind === 'cachework.shared'
}

/** The request's normalized values of the `Vary` names (RFC 9111 §4.1; rfc9111/vary.ts). */
export function varyValues(request: Request, names: readonly string[]): string {
  return varyFieldValues(request.headers, names)
}

export { varyNames }

/** `url` without its fragment (RFC 9111 §2: the cache key is the target URI). */
export function stripFragment(url: string): string {
  const i = url.indexOf('#')
  return i === -1 ? url : url.slice(0, i)
}

/** A Fetch `Response` from stored parts (no body for 204/304 or when `body` is null). */
export function toResponse(
  status: number,
  statusText: string,
  headers: HeaderList,
  body: Uint8Array | null,
): Response {
  return new Response(
    body === null || status === 204 || status === 304 ? null : (body as Uint8Array<ArrayBuffer>),
    { status, statusText, headers: headers as Array<[string, string]> },
  )
}

/** Whether the response names its own expiry (then `defaultTtl` does not apply). */
export function hasExplicitExpiry(headers: HeaderList): boolean {
  const cc = parseDirectives(headerValue(headers, 'cache-control'))
  return cc.has('max-age') || cc.has('s-maxage') || headerValue(headers, 'expires') !== undefined
}

/** The fields a cache keeps: no hop-by-hop fields, none `Connection` names (RFC 9111 §3.1). */
export function storedFields(headers: HeaderList): Array<[string, string]> {
  return withoutFields(headers, fieldsToOmit(headers))
}

/** The answer when nothing usable is stored and the app may not be asked (§5.2.1.7) or is down. */
export function gatewayTimeout(): Response {
  return new Response(null, { status: 504, statusText: 'Gateway Timeout' })
}

/** An entity-tag without its weak prefix, for the weak comparison of RFC 9110 §8.8.3.2. */
export function opaqueTag(tag: string): string {
  const t = tag.trim()
  return t.startsWith('W/') ? t.slice(2) : t
}

/** Request fields that make the client's request conditional (or partial) itself. */
export const CLIENT_CONDITIONALS = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
] as const

/** Request fields the shared cache sets on the request the app sees (validators, `Surrogate-Capability`). */
export const FORWARDED_FIELDS = [...CLIENT_CONDITIONALS, 'surrogate-capability'] as const

/**
 * Request fields a background revalidation leaves out: credentials (unless the stored response
 * varies on them, so they are part of what it answers), the client's own preconditions, range
 * and request directives (what it asked for itself), and body framing (the copy has no body).
 */
const NOT_FOR_BACKGROUND = [
  'cookie',
  'authorization',
  'proxy-authorization',
  ...CLIENT_CONDITIONALS,
  'cache-control',
  'pragma',
  'content-length',
  'transfer-encoding',
  'expect',
]

/**
 * The request a background revalidation of the stored variant `v` sends (RFC 5861 §3): `request`'s
 * URL, GET (what is stored is a GET's response, also when a HEAD found it stale), and its headers
 * but those in `NOT_FOR_BACKGROUND`, save the ones `v` varies on, which select the variant.
 */
export function backgroundRequest(request: Request, v: SharedVariant): Request {
  const headers = new Headers(request.headers)
  for (const name of NOT_FOR_BACKGROUND) if (!v.vary.includes(name)) headers.delete(name)
  return new Request(request.url, { method: 'GET', headers })
}
