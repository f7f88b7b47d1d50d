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
import { settleWithin } from './flight-bound.ts'
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
  withoutFields,
} from './rfc9111/index.ts'
import {
  backgroundRequest,
  CLIENT_CONDITIONALS,
  gatewayTimeout,
  hasExplicitExpiry,
  isEntry,
  opaqueTag,
  type SharedEntry,
  type SharedVariant,
  storedFields,
  stripFragment,
  toResponse,
  varyNames,
  varyValues,
} from './shared-variants.ts'
import {
  DEFAULT_SURROGATE_ID,
  surrogateCapability,
  surrogateView,
  withoutSurrogateControl,
} from './surrogate-control.ts'

export type { SharedEntry, SharedVariant }

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

/** How a handler call may be repeated, for background revalidation (`stale-while-revalidate`). */
export interface SharedHandleOptions {
  /**
   * `stale-while-revalidate` answers stale at once and revalidates off the request path: with
   * `true` through `handler` (a Fetch handler can run twice), with a function through it (a Node
   * view runs on a request of its own), with `false` in the foreground. Default true.
   */
  background?: boolean | ((request: Request) => Response | Promise<Response>)
}

type Handler = (request: Request) => Response | Promise<Response>

/** A URL's entry and the variant matching a request, as looked up. */
interface Found {
  entry?: SharedEntry
  variant?: SharedVariant
}

/** What the cache asks the app for one request, and what it knew then (see `fetchHalf`). */
export interface SharedPlan extends Found {
  /** The client's request. */
  request: Request
  url: string
  /** The request to give the app. */
  forwarded: Request
  /** The validators sent, when the request is conditional on stored responses. */
  validators?: HeaderList
  /** Other variants whose `ETag`s were sent (a `Vary` mismatch). */
  tagged: SharedVariant[]
  requestTime: number
  /**
   * Ends this plan's single-flight claim (the fetch half's, S8): the update half calls it once
   * the answer is stored, so the requests waiting on it look again. Idempotent; unset when the
   * plan holds no claim.
   */
  release?: () => void
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** The engine behind `mode: 'shared'` (see the module comment). */
export class SharedResponseCache {
  readonly options: Readonly<SharedCacheOptions>
  /** App runs in progress, by method and URL key (single-flight). */
  private readonly flights = new Map<string, Promise<void>>()
  /** Background revalidations in progress, by URL key (one at a time per URL). */
  private readonly refreshing = new Map<string, Promise<void>>()

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

  private surrogateId(): string | undefined {
    const id = this.options.surrogateId
    return id === false ? undefined : (id ?? DEFAULT_SURROGATE_ID)
  }

  /** The headers caching decisions read: `Surrogate-Control` addressed to this cache wins. */
  private decisive(headers: HeaderList): HeaderList {
    const id = this.surrogateId()
    return id === undefined ? headers : surrogateView(headers, id)
  }

  /** `headers` as sent to the client: without the `Surrogate-Control` meant for this cache. */
  private outgoing(headers: HeaderList): Array<[string, string]> {
    const id = this.surrogateId()
    return id === undefined ? headers.map(([k, v]) => [k, v]) : withoutSurrogateControl(headers, id)
  }

  /** The backend key of a URL's entry. */
  key(url: string): string {
    return `cachework.shared.${this.options.keyPrefix ?? ''}.${md5Hex(stripFragment(url))}`
  }

  /** Resolves when no background revalidation is in progress (for shutdown and tests). */
  async backgroundIdle(): Promise<void> {
    while (this.refreshing.size > 0) await Promise.all([...this.refreshing.values()])
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
      const lifetime = freshnessLifetime({ ...v, headers: this.decisive(v.headers) }, this.policy())
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
  async handle(request: Request, handler: Handler, opts: SharedHandleOptions = {}): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const response = await handler(request)
      if (!SAFE.has(request.method) && response.status >= 200 && response.status < 400) {
        await this.invalidateAfter(request, response)
      }
      return this.sendOn(response)
    }
    const url = stripFragment(request.url)
    const reqCc = parseDirectives(request.headers.get('cache-control'))
    const found = await this.lookup(request, url)
    if (found.variant === undefined) {
      if (reqCc.has('only-if-cached')) return gatewayTimeout()
    } else {
      const served = this.fromStore(request, found.variant, reqCc)
      if (served) return served
      const ev = this.evaluate(found.variant, request)
      if (ev.staleWhileRevalidate && opts.background !== false) {
        const again = typeof opts.background === 'function' ? opts.background : handler
        this.revalidateInBackground(request, url, again, found.variant)
        return this.serve(request, found.variant, ev, true)
      }
    }
    return this.singleFlight(request, url, reqCc, handler, found)
  }

  /** The URL's entry and the variant that matches `request`'s `Vary` values, if any. */
  private async lookup(request: Request, url: string): Promise<Found> {
    const entry = await this.read(url)
    return { entry, variant: entry?.variants.find((v) => v.varyValues === varyValues(request, v.vary)) }
  }

  /** A response from the stored variant alone (fresh, or stale where `only-if-cached` allows), else `undefined`. */
  private fromStore(request: Request, v: SharedVariant, reqCc: Map<string, unknown>): Response | undefined {
    const ev = this.evaluate(v, request)
    if (ev.fresh) return this.serve(request, v, ev, true)
    if (reqCc.has('only-if-cached'))
      return ev.staleForbidden ? gatewayTimeout() : this.serve(request, v, ev, true)
    return undefined
  }

  /**
   * Ask the app (a miss, or a stale variant to validate), one request per method and URL at a
   * time: the others wait, bounded by `flightWaitMs`, then look again; whatever they find not
   * usable they ask the app for themselves, without waiting again.
   */
  private async singleFlight(
    request: Request,
    url: string,
    reqCc: Map<string, unknown>,
    handler: Handler,
    found: Found,
  ): Promise<Response> {
    const leader = this.leader(request, url)
    if (leader) {
      const waited = await this.afterLeader(leader, request, url, reqCc)
      return waited instanceof Response ? waited : this.askApp(request, url, handler, waited)
    }
    const release = this.claim(request, url)
    try {
      return await this.askApp(request, url, handler, found)
    } finally {
      release?.()
    }
  }

  /** The single-flight key of a request: its method and URL. */
  private flightKey(request: Request, url: string): string {
    return `${request.method} ${this.key(url)}`
  }

  /** The app run in progress for this method and URL, if any (checked and claimed with no `await` between). */
  private leader(request: Request, url: string): Promise<void> | undefined {
    return this.options.singleFlight === false ? undefined : this.flights.get(this.flightKey(request, url))
  }

  /**
   * Wait for another request's app run (at most `flightWaitMs`) and look again: a response from
   * the store, or what was found (the caller then asks the app itself, without waiting again).
   */
  private async afterLeader(
    leader: Promise<void>,
    request: Request,
    url: string,
    reqCc: Map<string, unknown>,
  ): Promise<Response | Found> {
    await settleWithin(leader, this.options.flightWaitMs ?? 10_000, undefined)
    const again = await this.lookup(request, url)
    return (again.variant && this.fromStore(request, again.variant, reqCc)) || again
  }

  /**
   * Claim the app run for this method and URL (the others wait on it); the returned function
   * ends the claim. It also ends by itself after `flightWaitMs`, so a claim whose end never
   * comes (an update half that never ran) holds nobody for longer than a waiter would wait.
   */
  private claim(request: Request, url: string): (() => void) | undefined {
    if (this.options.singleFlight === false) return undefined
    const key = this.flightKey(request, url)
    let settle = (): void => {}
    const flight = new Promise<void>((resolve) => {
      settle = resolve
    })
    this.flights.set(key, flight)
    const release = (): void => {
      clearTimeout(timer)
      if (this.flights.get(key) === flight) this.flights.delete(key)
      settle()
    }
    const timer: ReturnType<typeof setTimeout> = setTimeout(release, this.options.flightWaitMs ?? 10_000)
    ;(timer as { unref?: () => void }).unref?.()
    return release
  }

  /**
   * What to ask the app: with a matching stored variant, its validators (RFC 9111 §4.3.1);
   * without one, the `ETag`s of the URL's other variants, unless the client's request is
   * conditional itself (a `Vary` mismatch can still be validated, §4.3.4); else the request.
   */
  private plan(request: Request, url: string, found: Found): SharedPlan {
    const { entry, variant } = found
    let validators: HeaderList | undefined
    let tagged: SharedVariant[] = []
    if (entry && variant) validators = conditionalHeaders(variant.headers)
    else if (entry && !CLIENT_CONDITIONALS.some((h) => request.headers.has(h))) {
      tagged = entry.variants.filter((v) => headerValue(v.headers, 'etag') !== undefined)
      const tags: string[] = []
      for (const v of tagged) {
        const t = headerValue(v.headers, 'etag') as string
        if (!tags.includes(t)) tags.push(t)
      }
      if (tags.length) validators = [['if-none-match', tags.join(', ')]]
    }
    return {
      request,
      url,
      entry,
      variant,
      tagged,
      validators,
      requestTime: this.now(),
      forwarded: this.forward(request, validators),
    }
  }

  /** Ask the app as `plan` says and answer from what it returns. */
  private async askApp(request: Request, url: string, handler: Handler, found: Found): Promise<Response> {
    const plan = this.plan(request, url, found)
    let response: Response
    try {
      response = await handler(plan.forwarded)
    } catch (error) {
      // The app is unreachable: stale if allowed (§4.2.4), else a generated 504 (§5.2.2.2).
      if (plan.variant) {
        const ev = this.evaluate(plan.variant, request)
        if (!ev.staleForbidden && !ev.mustValidate) return this.serve(request, plan.variant, ev, true)
        if (ev.staleForbidden) return gatewayTimeout()
      }
      throw error
    }
    return this.complete(plan, response, handler)
  }

  /**
   * The app's answer to `plan`: a `304` freshens the variant it validates (§4.3.4); a 5xx may
   * serve the stale one (RFC 5861 §4); anything else is stored by the rules. A 304 to the
   * other variants' `ETag`s that names none of them is not the client's to see: the app is
   * asked again plainly through `again`, or the answer is a 502 without it.
   */
  private async complete(plan: SharedPlan, response: Response, again?: Handler): Promise<Response> {
    const { request, url, entry, variant } = plan
    if (entry && variant) {
      const ev = this.evaluate(variant, request)
      if (response.status >= 500 && ev.staleIfError) {
        void response.body?.cancel()
        return this.serve(request, variant, ev, true)
      }
      if (response.status === 304 && plan.validators?.length) {
        return this.freshen(request, entry, variant, response, plan.requestTime)
      }
    } else if (entry && plan.tagged.length > 0 && response.status === 304) {
      const tag = response.headers.get('etag')
      const tags = new Set(plan.tagged.map((v) => opaqueTag(headerValue(v.headers, 'etag') as string)))
      // A 304 without an ETag to an If-None-Match of one tag can only mean that tag.
      const chosen =
        tag === null
          ? tags.size === 1
            ? plan.tagged[0]
            : undefined
          : plan.tagged.find((v) => opaqueTag(headerValue(v.headers, 'etag') as string) === opaqueTag(tag))
      if (chosen) return this.freshen(request, entry, chosen, response, plan.requestTime)
      void response.body?.cancel()
      let plain: Response | undefined
      try {
        plain = again ? await again(this.forward(request)) : undefined
      } catch (error) {
        this.fail(error)
      }
      if (!plain) return new Response(null, { status: 502, statusText: 'Bad Gateway' })
      return this.store(request, url, plain, this.now(), entry)
    }
    return this.store(request, url, response, plan.requestTime, entry)
  }

  /**
   * The fetch half of shared mode (Django's two middlewares, used apart): a response from the
   * store, or the plan the update half completes: `plan.forwarded` is the request to give the
   * app (validators and `Surrogate-Capability` set). Stale responses are validated here, never
   * in the background (the halves run the app once per request). Concurrent requests for one
   * method and URL wait for the first one's update half (single-flight, S8).
   */
  async fetchHalf(request: Request): Promise<Response | SharedPlan> {
    const url = stripFragment(request.url)
    if (request.method !== 'GET' && request.method !== 'HEAD') return this.plan(request, url, {})
    const reqCc = parseDirectives(request.headers.get('cache-control'))
    const found = await this.lookup(request, url)
    if (found.variant) {
      const served = this.fromStore(request, found.variant, reqCc)
      if (served) return served
    } else if (reqCc.has('only-if-cached')) return gatewayTimeout()
    // Single-flight across the halves (S8): the update half ends the claim.
    const leader = this.leader(request, url)
    if (leader) {
      const waited = await this.afterLeader(leader, request, url, reqCc)
      return waited instanceof Response ? waited : this.plan(request, url, waited)
    }
    return { ...this.plan(request, url, found), release: this.claim(request, url) }
  }

  /** The update half: complete `plan` with the app's `response` (store, freshen, invalidate) and return what to send. */
  async updateHalf(plan: SharedPlan, response: Response): Promise<Response> {
    const { request } = plan
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (!SAFE.has(request.method) && response.status >= 200 && response.status < 400) {
        await this.invalidateAfter(request, response)
      }
      return this.sendOn(response)
    }
    try {
      return await this.complete(plan, response)
    } finally {
      plan.release?.()
    }
  }

  /** Revalidate `request`'s stale variant off the request path, once at a time per URL. */
  private revalidateInBackground(request: Request, url: string, handler: Handler, v: SharedVariant): void {
    const key = this.key(url)
    if (this.refreshing.has(key)) return
    const copy = backgroundRequest(request, v)
    const run = (async () => {
      const found = await this.lookup(copy, url)
      if (!found.entry || !found.variant) return
      const r = await this.askApp(copy, url, handler, found)
      await r.body?.cancel()
    })()
      .catch((error: unknown) => this.fail(error))
      .finally(() => this.refreshing.delete(key))
    this.refreshing.set(key, run)
  }

  private evaluate(v: SharedVariant, request: Request): Evaluation {
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

  /** Serve a stored variant: `Age`, omitted fields on reuse, HEAD without body, a single range, the client's preconditions. */
  private serve(request: Request, v: SharedVariant, ev: Evaluation, reuse: boolean): Response {
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
  private sendOn(response: Response): Response {
    if (this.surrogateId() === undefined || !response.headers.has('surrogate-control')) return response
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: this.outgoing([...response.headers]),
    })
  }

  /**
   * The request sent to the app: `Surrogate-Capability` announces this cache (edge-arch §2.2);
   * `validators`, when given, replace the client's own conditional fields.
   */
  private forward(request: Request, validators?: HeaderList): Request {
    const id = this.surrogateId()
    if (id === undefined && validators === undefined) return request
    const headers = new Headers(request.headers)
    if (validators !== undefined) {
      for (const name of CLIENT_CONDITIONALS) headers.delete(name)
      for (const [k, v] of validators) headers.set(k, v)
    }
    if (id !== undefined) {
      headers.set(
        'surrogate-capability',
        surrogateCapability(request.headers.get('surrogate-capability'), id),
      )
    }
    return new Request(request.url, { method: request.method, headers })
  }

  /** A `304` freshens the stored variant `v` (RFC 9111 §4.3.4) and it answers `request`. */
  private async freshen(
    request: Request,
    entry: SharedEntry,
    v: SharedVariant,
    notModified: Response,
    requestTime: number,
  ): Promise<Response> {
    const headers = mergeNotModified(v.headers, storedFields([...notModified.headers]))
    const vary = varyNames(headers)
    const fresh: SharedVariant = {
      ...v,
      headers,
      requestTime,
      responseTime: this.now(),
      vary,
      varyValues: varyValues(request, vary),
    }
    const others = entry.variants.filter((x) => x !== v && x.varyValues !== fresh.varyValues)
    // The 304 also stands for `v` under its own `Vary` values: keep it there, freshened too.
    const kept =
      v.varyValues === fresh.varyValues ? [] : [{ ...fresh, vary: v.vary, varyValues: v.varyValues }]
    await this.write({
      ...entry,
      variants: [fresh, ...kept, ...others].slice(0, this.options.maxVariants ?? 8),
    })
    return this.serve(request, fresh, this.evaluate(fresh, request), false)
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
        this.decisive(headers),
        {
          cacheControl: request.headers.get('cache-control'),
          authorization: request.headers.has('authorization'),
        },
        this.policy(),
      )
    if (!storable) return this.sendOn(response)
    const body = new Uint8Array(await response.arrayBuffer())
    const sent = toResponse(response.status, response.statusText, this.outgoing(headers), body)
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
