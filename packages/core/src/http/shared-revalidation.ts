/**
 * Revalidation for `mode: 'shared'` (shared-cache.ts, docs/contract.md §3b S4, S7): what the
 * cache asks the app (the stored variant's validators, or the other variants' `ETag`s across a
 * `Vary` mismatch, RFC 9111 §4.3.1), and what it makes of the answer: a `304` freshens, a 5xx or
 * an unreachable app may serve stale (§4.2.4, RFC 5861 §4) or give a 504, anything else is
 * stored by the rules (shared-store.ts).
 */
import { conditionalHeaders, type HeaderList, headerValue } from './rfc9111/index.ts'
import type { Found, SharedPolicy } from './shared-policy.ts'
import { freshen, storeResponse } from './shared-store.ts'
import { CLIENT_CONDITIONALS, gatewayTimeout, opaqueTag, type SharedVariant } from './shared-variants.ts'
import { surrogateCapability } from './surrogate-control.ts'

/** An app (or view) the cache asks. */
export type Handler = (request: Request) => Response | Promise<Response>

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

/**
 * What to ask the app: with a matching stored variant, its validators (RFC 9111 §4.3.1);
 * without one, the `ETag`s of the URL's other variants, unless the client's request is
 * conditional itself (a `Vary` mismatch can still be validated, §4.3.4); else the request.
 */
export function planFor(p: SharedPolicy, request: Request, url: string, found: Found): SharedPlan {
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
    requestTime: p.now(),
    forwarded: forwardRequest(p, request, validators),
  }
}

/**
 * The request sent to the app: `Surrogate-Capability` announces this cache (edge-arch §2.2);
 * `validators`, when given, replace the client's own conditional fields.
 */
export function forwardRequest(p: SharedPolicy, request: Request, validators?: HeaderList): Request {
  const id = p.surrogateId()
  if (id === undefined && validators === undefined) return request
  const headers = new Headers(request.headers)
  if (validators !== undefined) {
    for (const name of CLIENT_CONDITIONALS) headers.delete(name)
    for (const [k, v] of validators) headers.set(k, v)
  }
  if (id !== undefined) {
    headers.set('surrogate-capability', surrogateCapability(request.headers.get('surrogate-capability'), id))
  }
  return new Request(request.url, { method: request.method, headers })
}

/** Ask the app as `plan` says and answer from what it returns. */
export async function askApp(
  p: SharedPolicy,
  request: Request,
  url: string,
  handler: Handler,
  found: Found,
): Promise<Response> {
  const plan = planFor(p, request, url, found)
  let response: Response
  try {
    response = await handler(plan.forwarded)
  } catch (error) {
    // The app is unreachable: stale if allowed (§4.2.4), else a generated 504 (§5.2.2.2).
    if (plan.variant) {
      const ev = p.evaluate(plan.variant, request)
      if (!ev.staleForbidden && !ev.mustValidate) return p.serve(request, plan.variant, ev, true)
      if (ev.staleForbidden) return gatewayTimeout()
    }
    throw error
  }
  return complete(p, plan, response, handler)
}

/**
 * The app's answer to `plan`: a `304` freshens the variant it validates (§4.3.4); a 5xx may
 * serve the stale one (RFC 5861 §4); anything else is stored by the rules. A 304 to the
 * other variants' `ETag`s that names none of them is not the client's to see: the app is
 * asked again plainly through `again`, or the answer is a 502 without it.
 */
export async function complete(
  p: SharedPolicy,
  plan: SharedPlan,
  response: Response,
  again?: Handler,
): Promise<Response> {
  const { request, url, entry, variant } = plan
  if (entry && variant) {
    const ev = p.evaluate(variant, request)
    if (response.status >= 500 && ev.staleIfError) {
      void response.body?.cancel()
      return p.serve(request, variant, ev, true)
    }
    if (response.status === 304 && plan.validators?.length) {
      return freshen(p, request, entry, variant, response, plan.requestTime)
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
    if (chosen) return freshen(p, request, entry, chosen, response, plan.requestTime)
    void response.body?.cancel()
    let plain: Response | undefined
    try {
      plain = again ? await again(forwardRequest(p, request)) : undefined
    } catch (error) {
      p.fail(error)
    }
    if (!plain) return new Response(null, { status: 502, statusText: 'Bad Gateway' })
    return storeResponse(p, request, url, plain, p.now(), entry)
  }
  return storeResponse(p, request, url, response, plan.requestTime, entry)
}
