/**
 * Django's conditional view decorators (`django/views/decorators/http.py`: `condition`, `etag`,
 * `last_modified`) as Fastify route `preHandler` hooks, on core's evaluation
 * (`preconditionStatus`): the validators are computed from the request before the handler; a
 * matching `If-None-Match` / `If-Modified-Since` is a `304`, a failed `If-Match` /
 * `If-Unmodified-Since` a `412`, and the handler does not run; GET/HEAD replies get the `ETag` /
 * `Last-Modified` (set before the handler runs, so one the handler sets itself wins).
 */
import { applyValidators, preconditionStatus, validatorsOf } from '@cachework/core/http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { headerGetter } from './http-conditional.ts'

/** A validator computed from the Fastify request; `null`/`undefined` means "none". */
export type FastifyValidatorFn<T> = (
  request: FastifyRequest,
) => T | null | undefined | Promise<T | null | undefined>

/** The validator functions of `condition` for Fastify. */
export interface FastifyConditionOptions {
  /** The entity tag, quoted or not. */
  etag?: FastifyValidatorFn<string>
  /** The last modification time: a `Date` or epoch ms (truncated to seconds). */
  lastModified?: FastifyValidatorFn<Date | number>
}

/** An async `preHandler` hook. */
export type ConditionHook = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>

/** `condition({ etag, lastModified })` as a route hook: `fastify.get('/x', { preHandler: condition({ … }) }, h)`. */
export function condition(options: FastifyConditionOptions): ConditionHook {
  return async function cacheworkCondition(request, reply) {
    const v = await validatorsOf(options, request)
    const method = request.method
    const status = preconditionStatus({ method, headers: headerGetter(request.raw) }, v.etag, v.lastModified)
    const h = new Headers()
    applyValidators(method, h, v)
    for (const [k, val] of h) reply.header(k, val)
    // Fastify: an async hook that answers early sends and returns the reply.
    if (status !== undefined) return reply.code(status).send()
    return undefined
  }
}

/** Django's `etag(etag_func)` as a Fastify route hook. */
export function etag(fn: FastifyValidatorFn<string>): ConditionHook {
  return condition({ etag: fn })
}

/** Django's `last_modified(last_modified_func)` as a Fastify route hook. */
export function lastModified(fn: FastifyValidatorFn<Date | number>): ConditionHook {
  return condition({ lastModified: fn })
}
