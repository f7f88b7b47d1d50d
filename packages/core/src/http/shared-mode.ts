/**
 * How the response-cache engine's `mode` option reaches the shared cache (docs/contract.md §3b):
 * kept out of engine.ts so Django mode's file stays Django's.
 */
import type { ResponseCacheOptions } from './engine.ts'
import { type SharedPlan, SharedResponseCache } from './shared-cache.ts'
import { FORWARDED_FIELDS } from './shared-variants.ts'

export type { SharedResponseCache }

/** The shared engine for `mode: 'shared'` options: `pageTimeout` becomes `defaultTtl`. */
export function sharedEngine(options: ResponseCacheOptions): SharedResponseCache {
  return new SharedResponseCache({
    cache: options.cache,
    registry: options.registry,
    keyPrefix: options.keyPrefix,
    maxBodyBytes: options.maxBodyBytes,
    defaultTtl: options.pageTimeout ?? null,
    singleFlight: options.singleFlight,
    flightWaitMs: options.flightWaitMs,
    onError: options.onError,
    now: options.now,
  })
}

/**
 * The fetch half's plans, by the request object both halves see (a Fetch `Request`, Node's
 * `IncomingMessage`), for the update half: the halves are two middlewares on two engines.
 */
export class SharedHalfPlans<K extends object> {
  private readonly plans = new WeakMap<K, SharedPlan>()

  /** Keep the fetch half's `plan` for `key`'s update half. */
  keep(key: K, plan: SharedPlan): void {
    this.plans.set(key, plan)
  }

  /** The update half: complete `key`'s plan with the app's `response`; a request the fetch half never saw passes through. */
  update(shared: SharedResponseCache, key: K, response: Response): Promise<Response> {
    const plan = this.plans.get(key)
    if (plan === undefined) return Promise.resolve(response)
    this.plans.delete(key)
    return shared.updateHalf(plan, response)
  }
}

const plans = new SharedHalfPlans<Request>()

/**
 * The fetch half in shared mode: a stored response, or `undefined` after setting the request's
 * validators for the app (where the Fetch API lets headers change; a request with immutable
 * headers is then asked plainly) and keeping the plan for `sharedUpdateHalf`.
 */
export async function sharedFetchHalf(
  shared: SharedResponseCache,
  request: Request,
): Promise<Response | undefined> {
  const got = await shared.fetchHalf(request)
  if (got instanceof Response) return got
  // The client's request as it came, before the app's copy of it gets the validators.
  const client = new Request(request.url, { method: request.method, headers: new Headers(request.headers) })
  const plan: SharedPlan = { ...got, request: client }
  // Immutable headers (a service worker's event.request): the app sees the client's request.
  plans.keep(
    request,
    adoptForwarded(request, plan.forwarded) ? plan : { ...plan, validators: undefined, tagged: [] },
  )
  return undefined
}

/**
 * Give `request` (the one the app will see) the fields the shared cache set on `forwarded`
 * (validators, `Surrogate-Capability`). False when its headers are immutable: then the app
 * sees the client's own fields and the cache must not read its answer as a validation.
 */
export function adoptForwarded(request: Request, forwarded: Request): boolean {
  if (forwarded === request) return true
  try {
    for (const name of FORWARDED_FIELDS) {
      const v = forwarded.headers.get(name)
      if (v === null) request.headers.delete(name)
      else request.headers.set(name, v)
    }
    return true
  } catch {
    return false
  }
}

/** The update half in shared mode: complete the fetch half's plan; a request it never saw passes through. */
export function sharedUpdateHalf(
  shared: SharedResponseCache,
  request: Request,
  response: Response,
): Promise<Response> {
  return plans.update(shared, request, response)
}
