/**
 * Keys for a Fetch adapter behind a proxy it trusts (docs/contract.md rule 20). A runtime such
 * as `@hono/node-server` builds the request URL from `Host`; an application that renders
 * `X-Forwarded-Host`/`X-Forwarded-Proto` must have its pages keyed on them, or one visitor's
 * forwarded host is replayed to everyone (docs/security.md, X-Forwarded-Host). Django: `USE_X_FORWARDED_HOST`,
 * `SECURE_PROXY_SSL_HEADER` (django/http/request.py `get_host`, `scheme`).
 */
import { checkedHost } from './hosts.ts'
import type { RequestView } from './request-view.ts'

/** Which forwarded headers a Fetch adapter's keys follow. */
export interface ForwardedTrustOptions {
  /** Key on `X-Forwarded-Host` (its first value) instead of the URL's host. Default false. */
  trustForwardedHost?: boolean
  /** Take the scheme from `X-Forwarded-Proto` (its first value). Default false. */
  trustForwardedProto?: boolean
}

const firstValue = (v: string): string => {
  const i = v.indexOf(',')
  return (i === -1 ? v : v.slice(0, i)).trim()
}

/**
 * The view of `request` through the trusted forwarded headers: `undefined` when nothing is
 * trusted or present (key the request as it is), `null` when the forwarded scheme or host is
 * malformed or not in `allowedHosts` (answer 400, as Django's `DisallowedHost`).
 */
export function forwardedRequestView(
  request: Request,
  opts: ForwardedTrustOptions,
  allowedHosts: readonly string[] | undefined,
): RequestView | null | undefined {
  const fHost = opts.trustForwardedHost ? request.headers.get('x-forwarded-host') : null
  const fProto = opts.trustForwardedProto ? request.headers.get('x-forwarded-proto') : null
  if (fHost === null && fProto === null) return undefined
  const url = new URL(request.url)
  const scheme = fProto === null ? url.protocol.slice(0, -1) : firstValue(fProto).toLowerCase()
  if (scheme !== 'http' && scheme !== 'https') return null
  const host = checkedHost(fHost === null ? url.host : firstValue(fHost), scheme, allowedHosts)
  if (host === undefined) return null
  return {
    url: `${scheme}://${host}${url.pathname}${url.search}`,
    method: request.method,
    header: (name) => request.headers.get(name),
    toRequest: () => request,
  }
}
