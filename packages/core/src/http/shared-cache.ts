/**
 * `mode: 'shared'`: the response cache as an RFC 9111 **shared** cache in front of the app
 * (docs/contract.md §3b), built on the RFC 9111 toolkit (`./rfc9111/`). Unlike Django mode it
 * takes the response's own caching headers at their word: `s-maxage` over `max-age`, `Expires`,
 * `Age`, heuristic freshness, `private` never stored, `no-cache` / `must-revalidate` /
 * `proxy-revalidate` revalidated against the app with a conditional request (a `304` freshens
 * the stored response), request `Cache-Control` (§5.2.1), invalidation after unsafe methods
 * (§4.4), single byte ranges from a stored complete response, and RFC 5861's stale windows.
 *
 * This file is the request flow (single-flight, background revalidation, the two halves);
 * freshness and selection are in shared-policy.ts, revalidation in shared-revalidation.ts,
 * storing in shared-store.ts.
 */
import { settleWithin } from './flight-bound.ts'
import { parseDirectives } from './rfc9111/index.ts'
import { type Found, type SharedCacheOptions, SharedPolicy } from './shared-policy.ts'
import { askApp, complete, type Handler, planFor, type SharedPlan } from './shared-revalidation.ts'
import { invalidateAfter, invalidateUrl } from './shared-store.ts'
import {
  backgroundRequest,
  gatewayTimeout,
  type SharedEntry,
  type SharedVariant,
  stripFragment,
} from './shared-variants.ts'

export type { SharedCacheOptions, SharedEntry, SharedPlan, SharedVariant }

/** How a handler call may be repeated, for background revalidation (`stale-while-revalidate`). */
export interface SharedHandleOptions {
  /**
   * `stale-while-revalidate` answers stale at once and revalidates off the request path: with
   * `true` through `handler` (a Fetch handler can run twice), with a function through it (a Node
   * view runs on a request of its own), with `false` in the foreground. Default true.
   */
  background?: boolean | ((request: Request) => Response | Promise<Response>)
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** The engine behind `mode: 'shared'` (see the module comment). */
export class SharedResponseCache extends SharedPolicy {
  /** App runs in progress, by method and URL key (single-flight). */
  private readonly flights = new Map<string, Promise<void>>()

  /** Background revalidations in progress, by URL key (one at a time per URL). */
  private readonly refreshing = new Map<string, Promise<void>>()

  /** Resolves when no background revalidation is in progress (for shutdown and tests). */
  async backgroundIdle(): Promise<void> {
    while (this.refreshing.size > 0) await Promise.all([...this.refreshing.values()])
  }

  /** Drop every stored response of `url` (RFC 9111 §4.4); failures are ignored as misses. */
  invalidate(url: string): Promise<void> {
    return invalidateUrl(this, url)
  }

  /** Answer `request` from the cache or `handler`, by RFC 9111's rules for a shared cache. */
  async handle(request: Request, handler: Handler, opts: SharedHandleOptions = {}): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const response = await handler(request)
      if (!SAFE.has(request.method) && response.status >= 200 && response.status < 400) {
        await invalidateAfter(this, request, response)
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
      return waited instanceof Response ? waited : askApp(this, request, url, handler, waited)
    }
    const release = this.claim(request, url)
    try {
      return await askApp(this, request, url, handler, found)
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
   * The fetch half of shared mode (Django's two middlewares, used apart): a response from the
   * store, or the plan the update half completes: `plan.forwarded` is the request to give the
   * app (validators and `Surrogate-Capability` set). Stale responses are validated here, never
   * in the background (the halves run the app once per request). Concurrent requests for one
   * method and URL wait for the first one's update half (single-flight, S8).
   */
  async fetchHalf(request: Request): Promise<Response | SharedPlan> {
    const url = stripFragment(request.url)
    if (request.method !== 'GET' && request.method !== 'HEAD') return planFor(this, request, url, {})
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
      return waited instanceof Response ? waited : planFor(this, request, url, waited)
    }
    return { ...planFor(this, request, url, found), release: this.claim(request, url) }
  }

  /** The update half: complete `plan` with the app's `response` (store, freshen, invalidate) and return what to send. */
  async updateHalf(plan: SharedPlan, response: Response): Promise<Response> {
    const { request } = plan
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (!SAFE.has(request.method) && response.status >= 200 && response.status < 400) {
        await invalidateAfter(this, request, response)
      }
      return this.sendOn(response)
    }
    try {
      return await complete(this, plan, response)
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
      const r = await askApp(this, copy, url, handler, found)
      await r.body?.cancel()
    })()
      .catch((error: unknown) => this.fail(error))
      .finally(() => this.refreshing.delete(key))
    this.refreshing.set(key, run)
  }
}
