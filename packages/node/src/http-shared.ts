/**
 * `mode: 'shared'` for node:http / Connect / Express (and the adapters built on `NodePageCache`):
 * core's RFC 9111 shared cache (`SharedResponseCache`, docs/contract.md §3b) around the view. The
 * view runs on the original `IncomingMessage`, so the validators the cache sends when it
 * revalidates (`If-None-Match` / `If-Modified-Since`) are set on `req.headers` before it runs.
 * A Node view runs once per request, so `stale-while-revalidate` is validated in the foreground
 * here (RFC 5861 allows a cache not to serve stale).
 */
import type { IncomingMessage } from 'node:http'
import type { SharedResponseCache } from '@cachework/core/http'
import { toFetchRequest } from './http-bridge.ts'

/** Request headers the shared cache may replace on the request it sends to the view. */
const CONDITIONAL = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
]

function syncConditional(req: IncomingMessage, forwarded: Request): void {
  for (const name of CONDITIONAL) {
    const v = forwarded.headers.get(name)
    if (v === null) delete req.headers[name]
    else req.headers[name] = v
  }
}

/**
 * Answer `req` through `shared`: `run` runs the view with `res` captured and returns what it
 * wrote as a Fetch `Response`; `write` sends the answer.
 */
export async function handleShared(
  shared: SharedResponseCache,
  req: IncomingMessage,
  run: () => Promise<Response>,
  write: (response: Response) => Promise<void>,
): Promise<void> {
  let ran = false
  const response = await shared.handle(
    toFetchRequest(req),
    (forwarded) => {
      if (ran) throw new Error('cachework: a Node view runs once per request')
      ran = true
      syncConditional(req, forwarded)
      return run()
    },
    { background: false },
  )
  await write(response)
}
