/**
 * The storing half of the response cache: Django 6.1's `UpdateCacheMiddleware.process_response`
 * (django/middleware/cache.py, steps 2–9) with the 2026 security rules (docs/contract.md rule
 * 20: no Set-Cookie, no private or Vary: * page, Authorization varies), body limits, streaming
 * bodies stored once they end, tags and stale windows (rule 16).
 */
import type { Cache } from '../types.ts'
import { readBody, responseFrom, type StoredResponse, storeResponse, mutableResponse } from './body.ts'
import { cacheControlNames, getMaxAge } from './cache-control.ts'
import { DEFAULT_MAX_BODY_BYTES, type ResponseCacheOptions } from './engine-options.ts'
import { DEFAULT_CACHE_SECONDS, hasVaryHeader, patchResponseHeaders, patchVaryHeaders } from './headers.ts'
import { absoluteUri, learnCacheKey, pageCacheKey, varyHeaderList } from './keys.ts'
import { type StalePageFields, staleWindows } from './page-stampede.ts'
import { pageTags, writeTagHeader } from './page-tags.ts'
import type { NotStoredReason, PageCacheReport } from './report.ts'

/** What the storing half needs of its engine. */
export interface StoreContext {
  readonly options: Readonly<ResponseCacheOptions>
  cache(): Cache
  now(): number
  report(request: Request, type: PageCacheReport['type'], status?: number, reason?: NotStoredReason): void
  fail(error: unknown): void
  /** The response as sent: conditional GET applied (304/412). */
  finish(request: Request, response: Response): Response
}

/** What a miss produced, for the requests that waited on it. */
export interface Outcome {
  stored?: StoredResponse
  key?: string
  headerList?: string[]
}

const PRIVATE = ['private', 'no-cache', 'no-store']

/** A response the rules keep out of the cache: reported with its reason, then finished. */
function skip(
  ctx: StoreContext,
  request: Request,
  response: Response,
  reason: NotStoredReason,
): { response: Response; outcome: Outcome } {
  ctx.report(request, 'not-stored', response.status, reason)
  return { response: ctx.finish(request, response), outcome: {} }
}

/**
 * Django's `UpdateCacheMiddleware.process_response` from step 2 on (step 1, whether this
 * request may store at all, is the engine's): patch the caching headers and store the response
 * when the rules allow; the response to send, and what waiters on this miss may share.
 */
export async function storeHalf(
  ctx: StoreContext,
  request: Request,
  response: Response,
): Promise<{ response: Response; outcome: Outcome }> {
  // Step 2: only 200 and 304 get headers; only 200 is stored.
  if (response.status !== 200 && response.status !== 304) return skip(ctx, request, response, 'status')
  const names = cacheControlNames(response)
  // Step 3: Django skips a cookie set while varying on Cookie; cachework never stores a
  // response that sets a cookie, so a shared entry cannot hand one visitor's session to
  // another (docs/contract.md rule 20).
  if (response.headers.has('set-cookie')) return skip(ctx, request, response, 'set-cookie')
  // Step 4: private, no-cache or no-store in any case, qualified forms included.
  const privacy = PRIVATE.find((d) => names.has(d))
  if (privacy) return skip(ctx, request, response, privacy as NotStoredReason)
  // Step 5: Vary: * can never be matched.
  if (hasVaryHeader(response, '*')) return skip(ctx, request, response, 'vary-star')
  // Step 6: the page timeout beats max-age; max-age=0 means "don't cache".
  let timeout = ctx.options.pageTimeout ?? undefined
  if (timeout === undefined) {
    const maxAge = getMaxAge(response)
    if (maxAge === 0) return skip(ctx, request, response, 'max-age-0')
    timeout = maxAge ?? ctx.options.cacheTimeout ?? DEFAULT_CACHE_SECONDS
  }
  let res = mutableResponse(response)
  const now = ctx.now()
  // Step 7: Expires and max-age, 304s included.
  patchResponseHeaders(res, timeout, now)
  const tags = pageTags(ctx.options.tags, request)
  writeTagHeader(res.headers, ctx.options.tagHeader, tags)
  // Step 8: a response to an authorized request differs per credentials unless it is public.
  if (request.headers.has('authorization') && !names.has('public')) patchVaryHeaders(res, ['Authorization'])
  // Step 9: store a 200 with a truthy timeout (a negative one stores an expired entry, as Django).
  const outcome: Outcome = {}
  if (timeout !== 0 && res.status === 200) {
    const body = await readBody(
      res,
      ctx.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ctx.options.streamAfterMs,
    )
    if (body.kind === 'passthrough') {
      res = body.response
      ctx.report(request, 'not-stored', res.status, 'size')
    } else if (body.kind === 'streaming') {
      // Still arriving: the client gets it as it comes; it is stored if it ends within the
      // limit. Waiters run their own handler rather than wait on a stream of unknown length.
      res = body.response
      const sent = res
      void body.done
        .then((bytes) =>
          bytes
            ? store(
                ctx,
                request,
                storeResponse(sent, bytes, now),
                timeout,
                tags,
                staleWindows(sent, ctx.options),
              )
            : undefined,
        )
        .catch((error: unknown) => ctx.fail(error))
    } else {
      const stored = storeResponse(res, body.bytes, now)
      res = responseFrom(stored, true)
      if (timeout > 0) {
        // The response passed every rule, so waiters may share it even if storing fails.
        outcome.stored = stored
        outcome.headerList = varyHeaderList(res, ctx.options)
        outcome.key = pageCacheKey(request, request.method, outcome.headerList, ctx.options)
      }
      await store(ctx, request, stored, timeout, tags, staleWindows(res, ctx.options))
    }
  }
  if (timeout === 0 || res.status !== 200)
    ctx.report(request, 'not-stored', res.status, res.status === 200 ? 'timeout-0' : 'status')
  return { response: ctx.finish(request, res), outcome }
}

/** Learn the URL's header list and store the page (Django §4.2 step 9); failures are misses. */
async function store(
  ctx: StoreContext,
  request: Request,
  stored: StoredResponse,
  timeout: number,
  tags: readonly string[],
  windows: { swr: number; sie: number } = { swr: 0, sie: 0 },
): Promise<void> {
  try {
    const headers = new Headers()
    for (const [name, value] of stored.headers) headers.append(name, value)
    // Rule 16: a page with a stale window is kept through it; its fields say when it goes stale.
    const extra = Math.max(windows.swr, windows.sie)
    const kept = timeout > 0 ? timeout + extra : timeout
    const key = await learnCacheKey(request, { headers }, { ...ctx.options, timeout: kept })
    const page: StoredResponse & StalePageFields = {
      ...stored,
      url: absoluteUri(request),
      method: request.method,
    }
    if (extra > 0 && timeout > 0) {
      page.freshUntil = stored.storedAt + timeout * 1000
      page.swrUntil = page.freshUntil + windows.swr * 1000
      page.sieUntil = page.freshUntil + windows.sie * 1000
    }
    // The URL and method travel with the page so inspectors can name its hashed key.
    await ctx.cache().set(key, page, kept, tags.length > 0 ? { tags } : undefined)
    ctx.report(request, 'store', stored.status)
  } catch (error) {
    ctx.fail(error)
    ctx.report(request, 'not-stored', stored.status, 'error')
  }
}
