/**
 * One parse of a Fetch `Request`'s URL for both things read of it: the scheme and host the host
 * check validates (hosts.ts, docs/contract.md rule 20a) and the absolute URI page keys are made
 * of (keys.ts `absoluteUri`, Django's `build_absolute_uri()`), both exactly what WHATWG URL
 * parsing (`new URL(url)`) gives.
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
  const u = new URL(url)
  const protocol = u.protocol
  const host = u.host
  return { protocol, host, uri: `${protocol}//${host}${u.pathname}${u.search}` }
}
