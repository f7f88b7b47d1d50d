/**
 * Django's conditional view decorators (`django/views/decorators/http.py`: `condition`, `etag`,
 * `last_modified`) as Koa middleware, on core's evaluation (`preconditionStatus`): the validators
 * are computed from `ctx` before the rest of the chain; a matching `If-None-Match` /
 * `If-Modified-Since` is a `304`, a failed `If-Match` / `If-Unmodified-Since` a `412`, and the
 * chain does not run; GET/HEAD responses get the `ETag` / `Last-Modified` they lack.
 */
import type { Context, Middleware, Next } from 'koa'
import { applyValidators, preconditionStatus, validatorsOf } from '@cachework/core/http'

/** A validator computed from the Koa context; `null`/`undefined` means "none". */
export type KoaValidatorFn<T> = (ctx: Context) => T | null | undefined | Promise<T | null | undefined>

/** The validator functions of `condition` for Koa. */
export interface KoaConditionOptions {
  /** The entity tag, quoted or not. */
  etag?: KoaValidatorFn<string>
  /** The last modification time: a `Date` or epoch ms (truncated to seconds). */
  lastModified?: KoaValidatorFn<Date | number>
}

/** `condition({ etag, lastModified })` for Koa: `router.get('/x', condition({ etag: (ctx) => v }), view)`. */
export function condition(options: KoaConditionOptions): Middleware {
  return async function cacheworkCondition(ctx: Context, next: Next): Promise<void> {
    const v = await validatorsOf(options, ctx)
    const method = ctx.method
    const status = preconditionStatus(
      { method, headers: { get: (n) => ctx.get(n) || null } },
      v.etag,
      v.lastModified,
    )
    const h = new Headers()
    if (status !== undefined) {
      applyValidators(method, h, v)
      ctx.status = status
      for (const [k, val] of h) ctx.set(k, val)
      return
    }
    await next()
    for (const name of ['etag', 'last-modified']) {
      const cur = ctx.response.get(name)
      if (cur) h.set(name, String(cur))
    }
    applyValidators(method, h, v)
    for (const [k, val] of h) ctx.set(k, val)
  }
}

/** Django's `etag(etag_func)` for Koa. */
export function etag(fn: KoaValidatorFn<string>): Middleware {
  return condition({ etag: fn })
}

/** Django's `last_modified(last_modified_func)` for Koa. */
export function lastModified(fn: KoaValidatorFn<Date | number>): Middleware {
  return condition({ lastModified: fn })
}
