/**
 * Vary (RFC 9111 §4.1): which request header fields select a stored response, and the
 * normalized values a stored response is matched on. One implementation for the service worker
 * and the server's `mode: 'shared'`.
 */
import { splitList } from './directives.ts'
import { type HeaderList, headerValue } from './freshness.ts'

/** The lower-cased names a response's `Vary` lists, in order, without duplicates. */
export function varyNames(headers: HeaderList): string[] {
  const out: string[] = []
  for (const n of splitList(headerValue(headers, 'vary'))) {
    const l = n.toLowerCase()
    if (!out.includes(l)) out.push(l)
  }
  return out
}

/**
 * The request's values of the `Vary` names, normalized as §4.1 allows: list members trimmed
 * and joined, `Accept-Language`/`Accept-Encoding` lower-cased; an absent field differs from an
 * empty one. Two requests select the same stored response when these strings are equal.
 */
export function varyValues(headers: { get(name: string): string | null }, names: readonly string[]): string {
  return names
    .map((n) => {
      const v = headers.get(n)
      if (v === null) return `${n}`
      const norm = splitList(v).join(',')
      return `${n}=${n === 'accept-language' || n === 'accept-encoding' ? norm.toLowerCase() : norm}`
    })
    .join('\n')
}
