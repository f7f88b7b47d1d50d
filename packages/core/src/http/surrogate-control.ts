/**
 * `Surrogate-Control` (W3C Note "Edge Architecture Specification 1.0", https://www.w3.org/TR/edge-arch/)
 * for `mode: 'shared'` (docs/contract.md §3b): a surrogate (a CDN or a server-side cache in
 * front of the app) announces itself with `Surrogate-Capability: <device>="Surrogate/1.0"` on
 * the requests it sends on, honours the `max-age` / `no-store` directives addressed to it
 * (untargeted, or `;<device>`) over `Cache-Control`, and removes those directives from what it
 * sends to the client; directives targeted at another device are forwarded.
 */
import { splitList } from './rfc9111/directives.ts'
import type { HeaderList } from './rfc9111/freshness.ts'
import { headerValue, MAX_DELTA_SECONDS, parseDirectives } from './rfc9111/index.ts'

/** The device token this cache answers to unless `surrogateId` says otherwise. */
export const DEFAULT_SURROGATE_ID = 'cachework'

/** What `Surrogate-Control` tells this surrogate, and what is left for others. */
export interface SurrogateDirectives {
  /** `max-age` addressed to this device, in seconds (saturated at 2^31), when present and valid. */
  maxAge?: number
  /** `no-store` (or `no-store-remote`, which a server-side cache is) addressed to this device. */
  noStore: boolean
  /** The elements targeted at other devices, to forward (`undefined` when none). */
  forward?: string
}

/** One `Surrogate-Control` element: `directive[;device]`. */
function splitTarget(element: string): { directive: string; target?: string } {
  const i = element.lastIndexOf(';')
  if (i === -1) return { directive: element }
  return { directive: element.slice(0, i), target: element.slice(i + 1).trim() }
}

/**
 * Parse `Surrogate-Control` for device `id`. Elements follow Cache-Control's strict syntax
 * (`max-age =100` is ignored); names are case-insensitive; `max-age=N+M` (the note's
 * stale allowance) counts `N`; the first occurrence of a directive wins.
 */
export function parseSurrogateControl(
  value: string | null | undefined,
  id = DEFAULT_SURROGATE_ID,
): SurrogateDirectives {
  const out: SurrogateDirectives = { noStore: false }
  const forward: string[] = []
  for (const element of splitList(value)) {
    const { directive, target } = splitTarget(element)
    if (target !== undefined && target !== id) {
      forward.push(element)
      continue
    }
    const d = parseDirectives(directive)
    if (d.has('no-store') || d.has('no-store-remote')) out.noStore = true
    const age = d.get('max-age')
    if (out.maxAge === undefined && typeof age === 'string') {
      const m = /^(\d+)(?:\+\d+)?$/.exec(age)
      if (m) out.maxAge = Math.min(Number(m[1]), MAX_DELTA_SECONDS)
    }
  }
  if (forward.length) out.forward = forward.join(', ')
  return out
}

/** The request's `Surrogate-Capability` with this device appended (the note's §2.2). */
export function surrogateCapability(existing: string | null, id = DEFAULT_SURROGATE_ID): string {
  const mine = `${id}="Surrogate/1.0"`
  return existing ? `${existing}, ${mine}` : mine
}

/**
 * The headers a surrogate's caching decisions read: with `max-age` addressed to it, the
 * response's `max-age` / `s-maxage` / `no-store` and `Expires` give way to it; with `no-store`,
 * `Cache-Control` gains `no-store`. `headers` unchanged when there is no `Surrogate-Control`.
 */
export function surrogateView(headers: HeaderList, id = DEFAULT_SURROGATE_ID): HeaderList {
  const value = headerValue(headers, 'surrogate-control')
  if (value === undefined) return headers
  const sc = parseSurrogateControl(value, id)
  if (!sc.noStore && sc.maxAge === undefined) return headers
  const cc = splitList(headerValue(headers, 'cache-control'))
  let kept = cc
  if (sc.maxAge !== undefined) {
    kept = cc.filter((el) => !/^(max-age|s-maxage|no-store)\b/i.test(el))
    kept.push(`max-age=${sc.maxAge}`)
  }
  if (sc.noStore) kept.push('no-store')
  const out: Array<[string, string]> = headers.filter(([k]) => {
    const l = k.toLowerCase()
    return l !== 'cache-control' && !(sc.maxAge !== undefined && l === 'expires')
  }) as Array<[string, string]>
  out.push(['cache-control', kept.join(', ')])
  return out
}

/** `headers` as sent on: the `Surrogate-Control` elements addressed to this device removed. */
export function withoutSurrogateControl(
  headers: HeaderList,
  id = DEFAULT_SURROGATE_ID,
): Array<[string, string]> {
  const value = headerValue(headers, 'surrogate-control')
  const out = headers
    .filter(([k]) => k.toLowerCase() !== 'surrogate-control')
    .map(([k, v]) => [k, v] as [string, string])
  if (value === undefined) return out
  const forward = parseSurrogateControl(value, id).forward
  if (forward !== undefined) out.push(['surrogate-control', forward])
  return out
}
