/**
 * `mode: 'shared'` for node:http / Connect / Express (and the adapters built on `NodePageCache`):
 * core's RFC 9111 shared cache (`SharedResponseCache`, docs/contract.md §3b) around the view. The
 * view runs on the original `IncomingMessage`, so the fields the cache sends when it asks the
 * view (`If-None-Match` / `If-Modified-Since`, `Surrogate-Capability`) are set on `req.headers`
 * before it runs. `stale-while-revalidate` revalidates in the background when the view can run
 * on a request of its own (`background`: a wrapped handler, or the whole app again through the
 * server for middleware placed before the view, http-background.ts); without one it
 * revalidates in the foreground (RFC 5861 allows a cache not to serve stale).
 */
import type { IncomingMessage } from 'node:http'
import { FORWARDED_FIELDS, SharedHalfPlans, type SharedResponseCache } from '@cachework/core/http'
import { toFetchRequest } from './http-bridge.ts'

function syncForwarded(req: IncomingMessage, forwarded: Request): void {
  for (const name of FORWARDED_FIELDS) {
    const v = forwarded.headers.get(name)
    if (v === null) delete req.headers[name]
    else req.headers[name] = v
  }
}

/** A view run that answers 502 when the cache would need the view a second time for one request. */
function ranTwice(): Response {
  return new Response(null, { status: 502, statusText: 'Bad Gateway' })
}

/**
 * Answer `req` through `shared`: `run` runs the view with `res` captured and returns what it
 * wrote as a Fetch `Response`; `write` sends the answer; `background`, when given, runs the
 * view on a request of its own (for background revalidation).
 */
export async function handleShared(
  shared: SharedResponseCache,
  req: IncomingMessage,
  run: () => Promise<Response>,
  write: (response: Response) => Promise<void>,
  background?: (forwarded: Request) => Promise<Response>,
): Promise<void> {
  let ran = false
  const response = await shared.handle(
    toFetchRequest(req),
    (forwarded) => {
      if (ran) return background ? background(forwarded) : ranTwice()
      ran = true
      syncForwarded(req, forwarded)
      return run()
    },
    { background: background ?? false },
  )
  await write(response)
}

const plans = new SharedHalfPlans<IncomingMessage>()

/**
 * The fetch half in shared mode: write a stored response and return true, or set the request
 * fields the view should see (validators, `Surrogate-Capability`), keep the plan for the
 * update half, and return false.
 */
export async function sharedServeFromCache(
  shared: SharedResponseCache,
  req: IncomingMessage,
  write: (response: Response) => Promise<void>,
): Promise<boolean> {
  const got = await shared.fetchHalf(toFetchRequest(req))
  if (got instanceof Response) {
    await write(got)
    return true
  }
  syncForwarded(req, got.forwarded)
  plans.keep(req, got)
  return false
}

/** The update half in shared mode: what to send for the view's `response` (a request the fetch half never saw passes through). */
export function sharedUpdate(
  shared: SharedResponseCache,
  req: IncomingMessage,
  response: Response,
): Promise<Response> {
  return plans.update(shared, req, response)
}
