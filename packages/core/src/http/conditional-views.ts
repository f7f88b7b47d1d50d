/**
 * Django's conditional view processing (`django/views/decorators/http.py`: `condition`, `etag`,
 * `last_modified`) for fetch-style handlers: the validators are computed from the request before
 * the view runs, so a matching `If-None-Match` / `If-Modified-Since` is answered `304` (and a
 * failed `If-Match` / `If-Unmodified-Since` `412`) without running it. Evaluation follows
 * `django/utils/cache.py`'s `get_conditional_response` step by step (RFC 9110 §13.2.2 order).
 */
import { mutableResponse } from './body.ts'
import { parseEtags } from './conditional.ts'
import { httpDate, parseHttpDate } from './headers.ts'

/** Computes a validator from the handler's arguments; `null`/`undefined` means "none". */
// biome-ignore lint/suspicious/noExplicitAny: the handler's extra arguments, whatever they are.
export type ValidatorFn<Rest extends unknown[] = any[], T = unknown> = (
  request: Request,
  ...rest: Rest
) => T | null | undefined | Promise<T | null | undefined>

/** The two validator functions of `condition`. */
// biome-ignore lint/suspicious/noExplicitAny: the handler's extra arguments, whatever they are.
export interface ConditionOptions<Rest extends unknown[] = any[]> {
  /** The entity tag, quoted or not (Django's `quote_etag` quotes a bare one). */
  etag?: ValidatorFn<Rest, string>
  /** The last modification time: a `Date` or epoch ms (truncated to seconds, as Django's `int(dt.timestamp())`). */
  lastModified?: ValidatorFn<Rest, Date | number>
}

const ETAG = /^((?:W\/)?"[^"]*")$/

/** Django's `quote_etag`: a well-formed tag as is, anything else wrapped in quotes. */
export function quoteEtag(etag: string): string {
  return ETAG.test(etag) ? etag : `"${etag}"`
}

// Python's str.strip("W/"): W and / characters off both ends.
const stripW = (s: string): string => s.replace(/^[W/]+|[W/]+$/g, '')

/** The outcome of the preconditions: a status to answer with, or `undefined` to run the view. */
export function preconditionStatus(
  request: { method: string; headers: { get(name: string): string | null } },
  etag: string | undefined,
  lastModifiedSeconds: number | undefined,
): 304 | 412 | undefined {
  const h = request.headers
  const ifMatch = parseEtags(h.get('if-match'))
  const ius = parseHttpDate(h.get('if-unmodified-since'))
  const ifNoneMatch = parseEtags(h.get('if-none-match'))
  const ims = parseHttpDate(h.get('if-modified-since'))
  const safe = request.method === 'GET' || request.method === 'HEAD'
  const lm = lastModifiedSeconds
  // Step 1: If-Match (strong comparison; no etag or a weak one fails).
  if (ifMatch.length > 0) {
    const passes =
      etag !== undefined &&
      ((ifMatch.length === 1 && ifMatch[0] === '*') || (!etag.startsWith('W/') && ifMatch.includes(etag)))
    if (!passes) return 412
  }
  // Step 2: If-Unmodified-Since, only without If-Match.
  if (ifMatch.length === 0 && ius !== undefined && !(lm !== undefined && lm * 1000 <= ius)) return 412
  // Step 3: If-None-Match (weak comparison).
  if (ifNoneMatch.length > 0) {
    let passes = true
    if (etag !== undefined) {
      if (ifNoneMatch.length === 1 && ifNoneMatch[0] === '*') passes = false
      else passes = !ifNoneMatch.map(stripW).includes(stripW(etag))
    }
    if (!passes) return safe ? 304 : 412
  }
  // Step 4: If-Modified-Since, only without If-None-Match, GET/HEAD only.
  if (ifNoneMatch.length === 0 && ims !== undefined && safe && lm !== undefined && !(lm * 1000 > ims))
    return 304
  return undefined
}

/** Epoch seconds of a `lastModified` value, or `undefined`. */
function seconds(v: Date | number | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined
  const ms = v instanceof Date ? v.getTime() : v
  return Number.isFinite(ms) && ms !== 0 ? Math.floor(ms / 1000) : undefined
}

/** A request's validators: the quoted entity tag and the last modification in epoch seconds. */
export interface Validators {
  etag?: string
  lastModified?: number
}

/**
 * The validators from `etag`/`lastModified` functions of any arguments (a Fetch `Request`,
 * an `IncomingMessage`, a Fastify request, a Koa context): every adapter's `condition`.
 */
export async function validatorsOf<Args extends unknown[]>(
  options: {
    etag?: (...args: Args) => string | null | undefined | Promise<string | null | undefined>
    lastModified?: (
      ...args: Args
    ) => Date | number | null | undefined | Promise<Date | number | null | undefined>
  },
  ...args: Args
): Promise<Validators> {
  const e = options.etag ? await options.etag(...args) : undefined
  const lm = options.lastModified ? seconds(await options.lastModified(...args)) : undefined
  return { etag: e === null || e === undefined ? undefined : quoteEtag(e), lastModified: lm }
}

/** The computed validators of one request (shared by the Fetch decorators). */
export function computeValidators<Rest extends unknown[]>(
  options: ConditionOptions<Rest>,
  request: Request,
  rest: Rest,
): Promise<Validators> {
  return validatorsOf<[Request, ...Rest]>(options, request, ...rest)
}

/** Set `ETag` / `Last-Modified` on a GET/HEAD response when absent (Django sets them after the view). */
export function applyValidators(
  method: string,
  headers: Headers,
  v: { etag?: string; lastModified?: number },
): void {
  if (method !== 'GET' && method !== 'HEAD') return
  if (v.lastModified !== undefined && !headers.has('last-modified'))
    headers.set('last-modified', httpDate(v.lastModified * 1000))
  if (v.etag !== undefined && !headers.has('etag')) headers.set('etag', v.etag)
}

/**
 * Django's `condition(etag_func, last_modified_func)`: compute the validators first, answer
 * `304`/`412` from them without running the handler, else run it; GET/HEAD responses get the
 * `ETag` and `Last-Modified` they lack. `condition({ etag: (req) => version })(handler)`.
 */
export function condition(
  options: ConditionOptions,
): <R extends unknown[]>(
  handler: (request: Request, ...rest: R) => Response | Promise<Response>,
) => (request: Request, ...rest: R) => Promise<Response> {
  return (handler) =>
    async (request, ...rest) => {
      const v = await computeValidators(options, request, rest)
      const status = preconditionStatus(request, v.etag, v.lastModified)
      const response =
        status === undefined
          ? mutableResponse(await handler(request, ...rest))
          : new Response(null, {
              status,
              statusText: status === 304 ? 'Not Modified' : 'Precondition Failed',
            })
      applyValidators(request.method, response.headers, v)
      return response
    }
}

/** Django's `etag(etag_func)`: `condition({ etag })`. */
// biome-ignore lint/suspicious/noExplicitAny: the handler's extra arguments, whatever they are.
export function etag(fn: ValidatorFn<any[], string>) {
  return condition({ etag: fn })
}

/** Django's `last_modified(last_modified_func)`: `condition({ lastModified })`. */
// biome-ignore lint/suspicious/noExplicitAny: the handler's extra arguments, whatever they are.
export function lastModified(fn: ValidatorFn<any[], Date | number>) {
  return condition({ lastModified: fn })
}
