/**
 * Django's conditional view decorators (`django/views/decorators/http.py`: `condition`, `etag`,
 * `last_modified`) as Hono middleware, on core's evaluation (`http/conditional-views.ts`): the
 * validators are computed from the request (and the context) before the handler; a matching
 * `If-None-Match` / `If-Modified-Since` is a `304`, a failed `If-Match` / `If-Unmodified-Since`
 * a `412`, without running it; GET/HEAD responses get the `ETag` / `Last-Modified` they lack.
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import { mutableResponse } from './http/body.ts'
import {
  applyValidators,
  type ConditionOptions,
  computeValidators,
  preconditionStatus,
  type ValidatorFn,
} from './http/conditional-views.ts'

/** `condition({ etag, lastModified })` for Hono: each function gets `(c.req.raw, c)`. */
export function condition(options: ConditionOptions<[Context]>): MiddlewareHandler {
  return async function cacheworkCondition(c: Context, next: Next): Promise<Response | undefined> {
    const request = c.req.raw
    const v = await computeValidators(options, request, [c])
    const status = preconditionStatus(request, v.etag, v.lastModified)
    if (status !== undefined) {
      const response = new Response(null, {
        status,
        statusText: status === 304 ? 'Not Modified' : 'Precondition Failed',
      })
      applyValidators(request.method, response.headers, v)
      return response
    }
    await next()
    const response = mutableResponse(c.res)
    applyValidators(request.method, response.headers, v)
    // Hono's `c.res = r` would copy the old response's headers onto `r`: drop the old one first.
    c.res = undefined
    c.res = response
    return undefined
  }
}

/** Django's `etag(etag_func)` for Hono: `app.get('/x', etag((req) => version), handler)`. */
export function etag(fn: ValidatorFn<[Context], string>): MiddlewareHandler {
  return condition({ etag: fn })
}

/** Django's `last_modified(last_modified_func)` for Hono. */
export function lastModified(fn: ValidatorFn<[Context], Date | number>): MiddlewareHandler {
  return condition({ lastModified: fn })
}
