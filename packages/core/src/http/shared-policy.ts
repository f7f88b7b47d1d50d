/**
 * Freshness and selection for `mode: 'shared'` (shared-cache.ts, docs/contract.md §3b): the
 * options, where an entry lives and how it is read, which stored variant matches a request
 * (RFC 9111 §4.1), how fresh it is for that request (§4.2, §5.2.1, `defaultTtl`), and how a
 * stored variant is served (`Age`, fields omitted on reuse, HEAD, a single range, the client's
 * preconditions). `Surrogate-Control` meant for this cache decides over `Cache-Control`.
 */
import { type CacheRegistry, resolveCache } from '../registry.ts'
import type { Cache } from '../types.ts'
import { conditionalResponse } from './conditional.ts'
import { md5Hex } from './md5.ts'
import {
  type Evaluation,
  evaluate,
  type FreshnessPolicy,
  fieldsToOmit,
  type HeaderList,
  parseRange,
  rangeAnswer,
  withoutFields,
} from './rfc9111/index.ts'
import {
  gatewayTimeout,
  hasExplicitExpiry,
  isEntry,
  type SharedEntry,
  type SharedVariant,
  stripFragment,
  toResponse,
  varyValues,
} from './shared-variants.ts'
import { DEFAULT_SURROGATE_ID, surrogateView, withoutSurrogateControl } from './surrogate-control.ts'

/** Options of the shared cache. */
export interface SharedCacheOptions extends FreshnessPolicy {
  /** The alias (or a `Cache`). Default `'default'`. */
  cache?: string | Cache
  /** Where aliases are looked up. Default: the process-wide `caches`. */
  registry?: CacheRegistry
  /** Prefix inside the shared-cache keys. Default `''`. */
  keyPrefix?: string
  /**
   * Lifetime in seconds for a storable response with no explicit expiry and no heuristic (what
   * `cachePage(timeout, { mode: 'shared' })` passes). Default: none (RFC 9111 only).
   */
  defaultTtl?: number | null
  /** Larger bodies are served but not stored. Default 5 MiB. */
  maxBodyBytes?: number
  /** How long a stale response is kept for revalidation, in seconds. Default 86400. */
  retainSeconds?: number
  /** Variants kept per URL (`Vary`). Default 8. */
  maxVariants?: number
  /**
   * This cache's device token for `Surrogate-Control` (surrogate-control.ts), or `false` to
   * ignore that header (then it is passed on untouched). Default `'cachework'`.
   */
  surrogateId?: string | false
  /**
   * Concurrent requests that find nothing usable for one URL share one app run: the others wait
   * (at most `flightWaitMs`) and are answered from what it stored. Default true.
   */
  singleFlight?: boolean
  /** Longest wait on another request's app run, in ms; then the waiter asks the app itself. Default 10000. */
  flightWaitMs?: number
  /** Called when the cache fails (then it is a miss). Default: ignore. */
  onError?: (error: unknown) => void
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
}

/** A URL's entry and the variant matching a request, as looked up. */
export interface Found {
  entry?: SharedEntry
  variant?: SharedVariant
}

/** The rules the shared cache reads and serves by; `SharedResponseCache` (shared-cache.ts) builds on it. */
export class SharedPolicy {
  /** The options, as given. */
  readonly options: Readonly<SharedCacheOptions>

  /** Keeps a copy of `options`. */
  constructor(options: SharedCacheOptions = {}) {
    this.options = { ...options }
  }

  /** The cache entries live in, resolved per call. */
  cache(): Cache {
    return resolveCache(this.options.cache, this.options.registry)
  }

  /** The clock, epoch ms. */
  now(): number {
    return this.options.now?.() ?? Date.now()
  }

  /** Report a cache failure (then it is a miss). */
  fail(error: unknown): void {
    this.options.onError?.(error)
  }

  /** The freshness policy of this cache: a shared one (RFC 9111 §3.5, §4.2.1). */
  policy(): FreshnessPolicy {
    return { ...this.options, shared: true }
  }

  /** This cache's `Surrogate-Control` device token, `undefined` when the header is ignored. */
  surrogateId(): string | undefined {
    const id = this.options.surrogateId
    return id === false ? undefined : (id ?? DEFAULT_SURROGATE_ID)
  }

  /** The headers caching decisions read: `Surrogate-Control` addressed to this cache wins. */
  decisive(headers: HeaderList): HeaderList {
    const id = this.surrogateId()
    return id === undefined ? headers : surrogateView(headers, id)
  }

  /** `headers` as sent to the client: without the `Surrogate-Control` meant for this cache. */
  outgoing(headers: HeaderList): Array<[string, string]> {
    const id = this.surrogateId()
    return id === undefined ? headers.map(([k, v]) => [k, v]) : withoutSurrogateControl(headers, id)
  }

  /** The backend key of a URL's entry. */
  key(url: string): string {
    return `cachework.shared.${this.options.keyPrefix ?? ''}.${md5Hex(stripFragment(url))}`
  }

  /** The stored entry of `url`; a failing or foreign read is a miss. */
  async read(url: string): Promise<SharedEntry | undefined> {
    try {
      const v = await this.cache().get<unknown>(this.key(url))
      return isEntry(v) && v.url === stripFragment(url) ? v : undefined
    } catch (error) {
      this.fail(error)
      return undefined
    }
  }

  /** The URL's entry and the variant that matches `request`'s `Vary` values, if any. */
  async lookup(request: Request, url: string): Promise<Found> {
    const entry = await this.read(url)
    return { entry, variant: entry?.variants.find((v) => v.varyValues === varyValues(request, v.vary)) }
  }

  /** How fresh the stored variant `v` is for `request` (RFC 9111 §4.2, §5.2.1), `defaultTtl` applied. */
  evaluate(v: SharedVariant, request: Request): Evaluation {
    const headers = this.decisive(v.headers)
    const ev = evaluate(
      { ...v, headers },
      this.now(),
      request.headers.get('cache-control'),
      request.headers.get('pragma'),
      this.policy(),
    )
    const ttl = this.options.defaultTtl
    // `cachePage(timeout, { mode: 'shared' })`: a lifetime for responses that name none.
    if (ttl && !ev.fresh && !ev.mustValidate && ev.lifetime === 0 && !hasExplicitExpiry(headers)) {
      const fresh = ev.age < ttl
      return { ...ev, lifetime: ttl, fresh, expiresAt: v.responseTime + ttl * 1000 }
    }
    return ev
  }

  /** A response from the stored variant alone (fresh, or stale where `only-if-cached` allows), else `undefined`. */
  fromStore(request: Request, v: SharedVariant, reqCc: Map<string, unknown>): Response | undefined {
    const ev = this.evaluate(v, request)
    if (ev.fresh) return this.serve(request, v, ev, true)
    if (reqCc.has('only-if-cached'))
      return ev.staleForbidden ? gatewayTimeout() : this.serve(request, v, ev, true)
    return undefined
  }

  /** Serve a stored variant: `Age`, omitted fields on reuse, HEAD without body, a single range, the client's preconditions. */
  serve(request: Request, v: SharedVariant, ev: Evaluation, reuse: boolean): Response {
    let headers = reuse
      ? withoutFields(v.headers, fieldsToOmit(v.headers, { reuse: true, shared: true }))
      : v.headers
    headers = this.outgoing(headers).filter(([k]) => k.toLowerCase() !== 'age')
    headers.push(['age', String(Number.isFinite(ev.age) ? Math.floor(ev.age) : 2 ** 31)])
    const range = request.headers.has('range') && !request.headers.has('if-range') && v.status === 200
    if (range) {
      const r = parseRange(request.headers.get('range'), v.body.byteLength)
      if (r !== undefined) {
        const part = rangeAnswer(r, headers, v.body)
        return toResponse(part.status, '', part.headers, request.method === 'HEAD' ? null : part.body)
      }
    }
    const response = toResponse(v.status, v.statusText, headers, request.method === 'HEAD' ? null : v.body)
    return conditionalResponse(request, response)
  }

  /** A response passed on unstored: without the `Surrogate-Control` meant for this cache. */
  sendOn(response: Response): Response {
    if (this.surrogateId() === undefined || !response.headers.has('surrogate-control')) return response
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: this.outgoing([...response.headers]),
    })
  }
}
