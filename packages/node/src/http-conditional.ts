/**
 * Django's conditional view decorators (`django/views/decorators/http.py`: `condition`, `etag`,
 * `last_modified`) for node:http / Connect / Express views, on core's evaluation
 * (`preconditionStatus`, `django/utils/cache.py`'s `get_conditional_response` order). The
 * validator functions receive the `IncomingMessage`; a matching precondition is answered
 * `304` / `412` without running the view; GET/HEAD responses get `ETag` / `Last-Modified`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { applyValidators, preconditionStatus, validatorsOf } from '@cachework/core/http'
import type { NextFunction } from './http-bridge.ts'
import { beforeHeaders } from './http-hooks.ts'
import { decorator, type NodeDecorator } from './http.ts'

/** A validator computed from the request; `null`/`undefined` means "none". */
export type NodeValidatorFn<T> = (
  req: IncomingMessage,
) => T | null | undefined | Promise<T | null | undefined>

/** The validator functions of `condition` for Node views. */
export interface NodeConditionOptions {
  /** The entity tag, quoted or not. */
  etag?: NodeValidatorFn<string>
  /** The last modification time: a `Date` or epoch ms (truncated to seconds). */
  lastModified?: NodeValidatorFn<Date | number>
}

/** `req`'s headers as `preconditionStatus` reads them (repeated values joined with `, `). */
export function headerGetter(req: IncomingMessage): { get(name: string): string | null } {
  return {
    get(name: string): string | null {
      const v = req.headers[name]
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
    },
  }
}

async function decide(
  options: NodeConditionOptions,
  req: IncomingMessage,
  res: ServerResponse,
  run: () => unknown,
): Promise<void> {
  const v = await validatorsOf(options, req)
  const method = req.method ?? 'GET'
  const status = preconditionStatus({ method, headers: headerGetter(req) }, v.etag, v.lastModified)
  if (status !== undefined) {
    const h = new Headers()
    applyValidators(method, h, v)
    res.statusCode = status
    for (const [k, val] of h) res.setHeader(k, val)
    res.end()
    return
  }
  beforeHeaders(res, (r) => {
    const h = new Headers()
    for (const name of ['etag', 'last-modified']) {
      const cur = r.getHeader(name)
      if (cur !== undefined) h.set(name, String(cur))
    }
    applyValidators(method, h, v)
    for (const [k, val] of h) if (!r.hasHeader(k)) r.setHeader(k, val)
  })
  await run()
}

/**
 * Django's `condition(etag_func, last_modified_func)` for Node views: `condition({ etag: (req) =>
 * version })(view)` or `app.get('/x', condition({ … }), view)`.
 */
export function condition(options: NodeConditionOptions): NodeDecorator {
  return decorator((req, res, run, next: NextFunction | undefined) =>
    decide(options, req, res, run).catch((err: unknown) => {
      if (next) next(err)
      else if (!res.headersSent) {
        res.statusCode = 500
        res.end()
      }
    }),
  )
}

/** Django's `etag(etag_func)`. */
export function etag(fn: NodeValidatorFn<string>): NodeDecorator {
  return condition({ etag: fn })
}

/** Django's `last_modified(last_modified_func)`. */
export function lastModified(fn: NodeValidatorFn<Date | number>): NodeDecorator {
  return condition({ lastModified: fn })
}
