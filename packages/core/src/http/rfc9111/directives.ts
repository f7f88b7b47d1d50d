/**
 * `Cache-Control` as RFC 9111 §5.2 defines it: a comma-separated list of
 * `token [ "=" ( token / quoted-string ) ]`, names case-insensitive. One list splitter serves
 * both this strict parser and Django's lenient one (`../cache-control.ts`, which splits on every
 * comma and at the first `=`, as `django/utils/cache.py` does).
 */

/** Parsed directives: lower-cased name → argument (`true` when it has none), first occurrence kept. */
export type Directives = Map<string, string | true>

/**
 * Split a list field value (RFC 9110 §5.6.1) into trimmed, non-empty elements. With `quoted`
 * (the default), a comma inside a quoted-string does not split; without it every comma does
 * (Django's `split_header_value`).
 */
export function splitList(value: string | null | undefined, quoted = true): string[] {
  if (!value) return []
  const out: string[] = []
  let start = 0
  let inQuote = false
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (inQuote) {
      if (c === '\\') i++
      else if (c === '"') inQuote = false
    } else if (c === '"' && quoted) inQuote = true
    else if (c === ',') {
      const part = value.slice(start, i).trim()
      if (part !== '') out.push(part)
      start = i + 1
    }
  }
  const last = value.slice(start).trim()
  if (last !== '') out.push(last)
  return out
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const ELEMENT = new RegExp(`^(${TOKEN})(?:=(?:(${TOKEN})|"((?:[^"\\\\]|\\\\.)*)"))?$`)

/**
 * Parse `Cache-Control` strictly (RFC 9111 §5.2): an element that is not
 * `token[=token|quoted-string]` is ignored (so `max-age =3600` and `max-age= 3600` are not
 * `max-age`); a quoted argument is unescaped; when a directive repeats, the first wins
 * (§4.2.1 allows "the first occurrence").
 */
export function parseDirectives(value: string | null | undefined): Directives {
  const out: Directives = new Map()
  for (const element of splitList(value)) {
    const m = ELEMENT.exec(element)
    if (!m) continue
    const name = (m[1] as string).toLowerCase()
    const arg = m[2] ?? (m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : undefined)
    if (!out.has(name)) out.set(name, arg ?? true)
  }
  return out
}

/** Largest delta-seconds kept; larger values saturate here (RFC 9111 §1.2.2). */
export const MAX_DELTA_SECONDS = 2 ** 31

/** A delta-seconds argument (RFC 9111 §1.2.2: digits only), or `undefined` when absent or malformed. */
export function directiveSeconds(directives: Directives, name: string): number | undefined {
  const v = directives.get(name)
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined
  return Math.min(Number(v), MAX_DELTA_SECONDS)
}

/**
 * The field names a qualified `no-cache="a, b"` or `private="a"` lists (RFC 9111 §5.2.2.4,
 * §5.2.2.7), lower-cased; `[]` for the bare form or when absent.
 */
export function directiveFields(directives: Directives, name: string): string[] {
  const v = directives.get(name)
  if (typeof v !== 'string') return []
  return splitList(v).map((f) => f.toLowerCase())
}
