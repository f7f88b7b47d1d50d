/**
 * How the response-cache engine's `mode` option reaches the shared cache (docs/contract.md §3b):
 * kept out of engine.ts so Django mode's file stays Django's.
 */
import type { ResponseCacheOptions } from './engine.ts'
import { type SharedPlan, SharedResponseCache } from './shared-cache.ts'

export type { SharedResponseCache }

/** The shared engine for `mode: 'shared'` options: `pageTimeout` becomes `defaultTtl`. */
export function sharedEngine(options: ResponseCacheOptions): SharedResponseCache {
  return new SharedResponseCache({
    cache: options.cache,
    registry: options.registry,
    keyPrefix: options.keyPrefix,
    maxBodyBytes: options.maxBodyBytes,
    defaultTtl: options.pageTimeout ?? null,
    onError: options.onError,
    now: options.now,
  })
}

// The fetch half's plans, by request, for the update half (the same Request flows through both).
const plans = new WeakMap<Request, SharedPlan>()

/** Request fields the shared cache sets on the request the app sees (validators, `Surrogate-Capability`). */
const FORWARDED = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
  'surrogate-capability',
]

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
  plans.set(
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
    for (const name of FORWARDED) {
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
export async function sharedUpdateHalf(
  shared: SharedResponseCache,
  request: Request,
  response: Response,
): Promise<Response> {
  const plan = plans.get(request)
  if (plan === undefined) return response
  plans.delete(request)
  return shared.updateHalf(plan, response)
}
