/**
 * Host validation, as Django's `HttpRequest.get_host()` does it (django/http/request.py:
 * `split_domain_port`, `validate_host`, `host_validation_re`): a Host that is not a plain
 * domain or IP literal with an optional port, or that `allowedHosts` does not list, is a
 * `400 Bad Request` and never reaches the cache (docs/contract.md rule 20).
 */
import { type FetchUrl, parseFetchUrl } from './fetch-url.ts'

// Django's `host_validation_re`, on the lower-cased host.
const HOST_RE = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]{1,5}))?$/

/** A Host header split into its domain (lower case, trailing dot kept) and port (`''` when none). */
export interface SplitHost {
  domain: string
  port: string
}

/**
 * Django's `split_domain_port` plus `host_validation_re`: the host's domain and port, or
 * `undefined` when the value is not a well-formed host (`a#b`, `evil@host`, `h/p`, spaces…).
 */
export function splitHost(host: string): SplitHost | undefined {
  const m = HOST_RE.exec(host.toLowerCase())
  if (m === null) return undefined
  return { domain: m[1] as string, port: m[2] ?? '' }
}

/**
 * Django's `validate_host`: whether `domain` matches one of `patterns` (`'*'` matches any,
 * `'.example.com'` matches `example.com` and its subdomains, anything else must be equal,
 * case-insensitively; a trailing dot on the domain is ignored). `undefined` patterns accept
 * every well-formed host.
 */
export function isAllowedHost(domain: string, patterns: readonly string[] | undefined): boolean {
  if (patterns === undefined) return true
  const d = (domain.endsWith('.') ? domain.slice(0, -1) : domain).toLowerCase()
  for (const raw of patterns) {
    const p = raw.toLowerCase()
    if (p === '*' || p === d) return true
    if (p.startsWith('.') && (d.endsWith(p) || d === p.slice(1))) return true
  }
  return false
}

/**
 * The host (`domain[:port]`) as it goes into page keys, or `undefined` when it is malformed or
 * not allowed (then answer 400): lower case, the scheme's default port dropped, as WHATWG URLs
 * spell it, so keys equal core's for the same request.
 */
export function checkedHost(
  host: string,
  scheme: 'http' | 'https',
  allowedHosts: readonly string[] | undefined,
): string | undefined {
  // A site answers for few hosts, so the last answer is kept: a request for the same host, scheme
  // and allowed list costs three comparisons. A miss costs nothing more than the check itself:
  // the one record is updated in place, never reallocated (a memo must cost nothing when it misses).
  const last = lastChecked
  if (last.host === host && last.scheme === scheme && last.allowed === allowedHosts) return last.checked
  const checked = checkHost(host, scheme, allowedHosts)
  last.host = host
  last.scheme = scheme
  last.allowed = allowedHosts
  last.checked = checked
  return checked
}

/** The last `checkedHost` answer, one record for the realm, overwritten by each miss. */
const lastChecked: {
  host: string | undefined
  scheme: string
  allowed: readonly string[] | undefined
  checked: string | undefined
} = { host: undefined, scheme: '', allowed: undefined, checked: undefined }

function checkHost(
  host: string,
  scheme: 'http' | 'https',
  allowedHosts: readonly string[] | undefined,
): string | undefined {
  const split = splitHost(host)
  if (split === undefined || !isAllowedHost(split.domain, allowedHosts)) return undefined
  const { domain, port } = split
  if (port === '') return domain
  const n = Number(port)
  if (n > 65535) return undefined
  if ((scheme === 'http' && n === 80) || (scheme === 'https' && n === 443)) return domain
  return `${domain}:${n}`
}

/**
 * Whether a Fetch `Request` comes from an acceptable host: its URL's host, and a `Host` header
 * it carries (adapters that build the URL from it), must be well formed and allowed.
 */
export function isAcceptableRequestHost(
  request: Request,
  allowedHosts: readonly string[] | undefined,
): boolean {
  return isAcceptableUrlHost(parseFetchUrl(request.url), request.headers.get('host'), allowedHosts)
}

/**
 * `isAcceptableRequestHost` from the request's URL already parsed (`parseFetchUrl(request.url)`)
 * and its `Host` header as `request.headers.get('host')` gives it (`null`: none).
 */
export function isAcceptableUrlHost(
  url: FetchUrl,
  header: string | null,
  allowedHosts: readonly string[] | undefined,
): boolean {
  const scheme = url.protocol === 'https:' ? 'https' : 'http'
  if (checkedHost(url.host, scheme, allowedHosts) === undefined) return false
  return header === null || checkedHost(header, scheme, allowedHosts) !== undefined
}

/** The body and status of the answer to a bad or unlisted host (Django's `DisallowedHost` → 400). */
export function badHostResponse(): Response {
  return new Response('Bad Request: invalid or disallowed Host header\n', {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  })
}
