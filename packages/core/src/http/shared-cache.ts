/**
 * `mode: 'shared'`: the response cache as an RFC 9111 **shared** cache in front of the app
 * (docs/contract.md §3b), built on the RFC 9111 toolkit (`./rfc9111/`). Unlike Django mode it
 * takes the response's own caching headers at their word: `s-maxage` over `max-age`, `Expires`,
 * `Age`, heuristic freshness, `private` never stored, `no-cache` / `must-revalidate` /
 * `proxy-revalidate` revalidated against the app with a conditional request (a `304` freshens
 * the stored response), request `Cache-Control` (§5.2.1), invalidation after unsafe methods
 * (§4.4), single byte ranges from a stored complete response, and RFC 5861's stale windows.
 */
import { type CacheRegistry, resolveCache } from '../registry.ts'
import type { Cache } from '../types.ts'
import { conditionalResponse } from './conditional.ts'
import { md5Hex } from './keys.ts'
import {
  conditionalHeaders,
  type Evaluation,
  evaluate,
  type FreshnessPolicy,
  fieldsToOmit,
  freshnessLifetime,
  type HeaderList,
  headerValue,
  isStorable,
  mergeNotModified,
  parseDirectives,
  parseRange,
  rangeAnswer,
  splitList,
  withoutFields,
} from './rfc9111/index.ts'

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
  /** Called when the cache fails (then it is a miss). Default: ignore. */
  onError?: (error: unknown) => void
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
}

/** What a handler call may do besides answering: run again later, for background revalidation. */
export interface SharedHandleOptions {
  /** The handler may be called again after the answer (stale-while-revalidate). Default true. */
  background?: boolean
}

/** One stored response of a URL (plain data: every backend round-trips it, rule 12). */
export interface SharedVariant {
  status: number
  statusText: string
  headers: Array<[string, string]>
  body: Uint8Array
  requestTime: number
  responseTime: number
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

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

function isEntry(v: unknown): v is SharedEntry {
  return typeof v === 'object' && v !== null && (v as SharedEntry).kind === 'cachework.shared'
}

/** Normalized request values of the `Vary` names (RFC 9111 §4.1 allows normalizing whitespace and case). */
function varyValues(request: Request, names: readonly string[]): string {
  return names
    .map((n) => {
      const v = request.headers.get(n)
      if (v === null) return `${n}`
      const norm = splitList(v).join(',')
      return `${n}=${n === 'accept-language' || n === 'accept-encoding' ? norm.toLowerCase() : norm}`
    })
    .join('\n')
}

function varyNames(headers: HeaderList): string[] {
  const out: string[] = []
  for (const n of splitList(headerValue(headers, 'vary'))) {
    const l = n.toLowerCase()
    if (!out.includes(l)) out.push(l)
  }
  return out
}

function stripFragment(url: string): string {
  const i = url.indexOf('#')
  return i === -1 ? url : url.slice(0, i)
}

const toResponse = (status: number, statusText: string, headers: HeaderList, body: Uint8Array | null) =>
  new Response(body === null || status === 204 || status === 304 ? null : (body as Uint8Array<ArrayBuffer>), {
    status,
    statusText,
    headers: headers as Array<[string, string]>,
  })

/** The engine behind `mode: 'shared'` (see the module comment). */
export class SharedResponseCache {
  readonly options: Readonly<SharedCacheOptions>

  constructor(options: SharedCacheOptions = {}) {
    this.options = { ...options }
  }

  private cache(): Cache {
    return resolveCache(this.options.cache, this.options.registry)
  }

  private now(): number {
    return this.options.now?.() ?? Date.now()
  }

  private fail(error: unknown): void {
    this.options.onError?.(error)
  }

  private policy(): FreshnessPolicy {
    return { ...this.options, shared: true }
  }

  /** The backend key of a URL's entry. */
  key(url: string): string {
    return `cachework.shared.${this.options.keyPrefix ?? ''}.${md5Hex(stripFragment(url))}`
  }

  private async read(url: string): Promise<SharedEntry | undefined> {
    try {
      const v = await this.cache().get<unknown>(this.key(url))
      return isEntry(v) && v.url === stripFragment(url) ? v : undefined
    } catch (error) {
      this.fail(error)
      return undefined
    }
  }

  private async write(entry: SharedEntry): Promise<void> {
    const now = this.now()
    let keep = 0
    for (const v of entry.variants) {
      const lifetime = freshnessLifetime(v, this.policy())
      keep = Math.max(keep, (v.responseTime - now) / 1000 + lifetime)
    }
    try {
      await this.cache().set(
        this.key(entry.url),
        entry,
        Math.ceil(keep + (this.options.retainSeconds ?? 86_400)),
      )
    } catch (error) {
      this.fail(error)
    }
  }

  /** Drop every stored response of `url` (RFC 9111 §4.4); failures are ignored as misses. */
  async invalidate(url: string): Promise<void> {
    try {
      await this.cache().delete(this.key(url))
    } catch (error) {
      this.fail(error)
    }
  }

  /** Answer `request` from the cache or `handler`, by RFC 9111's rules for a shared cache. */
  async handle(
    request: Request,
    handler: (request: Request) => Response | Promise<Response>,
    opts: SharedHandleOptions = {},
  ): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const response = await handler(request)
      if (!SAFE.has(request.method) && response.status >= 200 && response.status < 400) {
        await this.invalidateAfter(request, response)
      }
      return response
    }
    const url = stripFragment(request.url)
    const reqCc = parseDirectives(request.headers.get('cache-control'))
    const entry = await this.read(url)
    const variant = entry?.variants.find((v) => v.varyValues === varyValues(request, v.vary))
    if (!variant) {
      if (reqCc.has('only-if-cached')) return gatewayTimeout()
      return this.fetchAndStore(request, url, handler, entry)
    }
    const ev = this.evaluate(variant, request)
    if (ev.fresh) return this.serve(request, variant, ev, true)
    if (reqCc.has('only-if-cached') && !ev.staleForbidden) return this.serve(request, variant, ev, true)
    if (reqCc.has('only-if-cached')) return gatewayTimeout()
    if (ev.staleWhileRevalidate && opts.background !== false) {
      void this.revalidate(request, url, handler, entry as SharedEntry, variant, ev).then(
        (r) => r.body?.cancel(),
        (error: unknown) => this.fail(error),
      )
      return this.serve(request, variant, ev, true)
    }
    return this.revalidate(request, url, handler, entry as SharedEntry, variant, ev)
  }

  private evaluate(v: SharedVariant, request: Request): Evaluation {
    const ev = evaluate(
      v,
      this.now(),
      request.headers.get('cache-control'),
      request.headers.get('pragma'),
      this.policy(),
    )
    const ttl = this.options.defaultTtl
    // `cachePage(timeout, { mode: 'shared' })`: a lifetime for responses that name none.
    if (ttl && !ev.fresh && !ev.mustValidate && ev.lifetime === 0 && !hasExplicitExpiry(v.headers)) {
      const fresh = ev.age < ttl
      return { ...ev, lifetime: ttl, fresh, expiresAt: v.responseTime + ttl * 1000 }
    }
    return ev
  }

  /** Serve a stored variant: `Age`, omitted fields on reuse, HEAD without body, a single range, the client's preconditions. */
  private serve(request: Request, v: SharedVariant, ev: Evaluation, reuse: boolean): Response {
    let headers = reuse
      ? withoutFields(v.headers, fieldsToOmit(v.headers, { reuse: true, shared: true }))
      : v.headers
    headers = headers.filter(([k]) => k.toLowerCase() !== 'age')
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

  /** Validate a stored variant with the app (RFC 9111 §4.3): a 304 freshens it, an error may serve it stale. */
  private async revalidate(
    request: Request,
    url: string,
    handler: (request: Request) => Response | Promise<Response>,
    entry: SharedEntry,
    v: SharedVariant,
    ev: Evaluation,
  ): Promise<Response> {
    const headers = new Headers(request.headers)
    for (const name of [
      'if-none-match',
      'if-modified-since',
      'if-match',
      'if-unmodified-since',
      'if-range',
      'range',
    ])
      headers.delete(name)
    const conditional = conditionalHeaders(v.headers)
    for (const [k, val] of conditional) headers.set(k, val)
    const forwarded = new Request(request.url, { method: request.method, headers })
    const requestTime = this.now()
    let response: Response
    try {
      response = await handler(forwarded)
    } catch (error) {
      // The app is unreachable: stale if allowed (§4.2.4), else a generated 504 (§5.2.2.2).
      if (!ev.staleForbidden && !ev.mustValidate) return this.serve(request, v, ev, true)
      if (ev.staleForbidden) return gatewayTimeout()
      throw error
    }
    if (response.status >= 500 && ev.staleIfError) {
      void response.body?.cancel()
      return this.serve(request, v, ev, true)
    }
    if (response.status === 304 && conditional.length > 0) {
      const fresh: SharedVariant = {
        ...v,
        headers: mergeNotModified(v.headers, storedFields([...response.headers])),
        requestTime,
        responseTime: this.now(),
      }
      await this.write({ ...entry, variants: [fresh, ...entry.variants.filter((x) => x !== v)] })
      return this.serve(request, fresh, this.evaluate(fresh, request), false)
    }
    return this.store(request, url, response, requestTime, entry)
  }

  private async fetchAndStore(
    request: Request,
    url: string,
    handler: (request: Request) => Response | Promise<Response>,
    entry: SharedEntry | undefined,
  ): Promise<Response> {
    const requestTime = this.now()
    const response = await handler(request)
    return this.store(request, url, response, requestTime, entry)
  }

  /** Store `response` when RFC 9111 §3 allows (GET only), and return what to send. */
  private async store(
    request: Request,
    url: string,
    response: Response,
    requestTime: number,
    entry: SharedEntry | undefined,
  ): Promise<Response> {
    const headers: Array<[string, string]> = [...response.headers]
    const length = Number(response.headers.get('content-length') ?? 0)
    const max = this.options.maxBodyBytes ?? 5 * 1024 * 1024
    const storable =
      request.method === 'GET' &&
      length <= max &&
      // A response that sets a cookie is never stored or replayed (docs/contract.md rule 20).
      !response.headers.has('set-cookie') &&
      isStorable(
        response.status,
        headers,
        {
          cacheControl: request.headers.get('cache-control'),
          authorization: request.headers.has('authorization'),
        },
        this.policy(),
      )
    if (!storable) return response
    const body = new Uint8Array(await response.arrayBuffer())
    const sent = toResponse(response.status, response.statusText, headers, body)
    if (body.byteLength > max) return sent
    const vary = varyNames(headers)
    const variant: SharedVariant = {
      status: response.status,
      statusText: response.statusText,
      headers: storedFields(headers),
      body,
      requestTime,
      responseTime: this.now(),
      vary,
      varyValues: varyValues(request, vary),
    }
    const others = (entry?.variants ?? []).filter((x) => x.varyValues !== variant.varyValues)
    const variants = [variant, ...others].slice(0, this.options.maxVariants ?? 8)
    await this.write({ kind: 'cachework.shared', url, variants })
    return sent
  }

  /** RFC 9111 §4.4: an unsafe method's success invalidates its URL and same-host Location / Content-Location. */
  private async invalidateAfter(request: Request, response: Response): Promise<void> {
    const target = new URL(request.url)
    const urls = new Set([stripFragment(target.href)])
    for (const name of ['location', 'content-location']) {
      const v = response.headers.get(name)
      if (v === null) continue
      try {
        const u = new URL(v, target)
        if (u.host === target.host) urls.add(stripFragment(u.href))
      } catch {
        // Not a URL: nothing to invalidate.
      }
    }
    await Promise.all([...urls].map((u) => this.invalidate(u)))
  }
}

/** Whether the response names its own expiry (then `defaultTtl` does not apply). */
function hasExplicitExpiry(headers: HeaderList): boolean {
  const cc = parseDirectives(headerValue(headers, 'cache-control'))
  return cc.has('max-age') || cc.has('s-maxage') || headerValue(headers, 'expires') !== undefined
}

/** The fields a cache keeps: no hop-by-hop fields, none `Connection` names (RFC 9111 §3.1). */
function storedFields(headers: Array<[string, string]>): Array<[string, string]> {
  return withoutFields(headers, fieldsToOmit(headers))
}

/** The answer when nothing usable is stored and the app may not be asked (§5.2.1.7) or is down. */
function gatewayTimeout(): Response {
  return new Response(null, { status: 504, statusText: 'Gateway Timeout' })
}
