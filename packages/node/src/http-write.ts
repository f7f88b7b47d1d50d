/**
 * Writing what the page cache answers to a node:http `ServerResponse`: a stored page (a hit,
 * decided by core's `peekHit`/`lookupHit`, made ready by core's `preparePage`) straight to the
 * socket, a Fetch `Response` core's engine returned, and the 400 for a bad host (rule 20).
 */
import { ServerResponse } from 'node:http'
import { badHostResponse, hitAge, preparePage, type StoredResponse } from '@cachework/core/http'
import { writeNodeResponse } from './http-bridge.ts'

/** Answer a malformed or unlisted host (rule 20): 400, before any cache lookup or view. */
export function badHost(res: ServerResponse): void {
  const r = badHostResponse()
  res.statusCode = r.status
  res.setHeader('content-type', r.headers.get('content-type') as string)
  res.setHeader('cache-control', 'no-store')
  res.end('Bad Request: invalid or disallowed Host header\n')
}

/** Responses a handler streamed straight to the client: nothing is left to write. */
export const alreadySent = new WeakSet<Response>()

const plainWriteHead = ServerResponse.prototype.writeHead

/**
 * Bodies up to this size go out as a latin1 string: Node then sends the header block and the
 * body as one string in one write instead of a two-buffer writev, which costs ~3.5 % fewer
 * instructions per Express hit (callgrind, bench/support/callgrind.ts). Bigger bodies stay
 * buffers, so they are never copied into a string.
 */
const TEXT_BODY_MAX = 16 * 1024

/**
 * Write a stored page to `res` with `Age`, as core's `fetchFromCache` does. `shared`: the page
 * is the cache's own object (never changed here), so its prepared headers are reused.
 */
export function writeStored(res: ServerResponse, stored: StoredResponse, now: number, shared: boolean): void {
  const p = preparePage(stored, shared)
  const age = hitAge(stored, p, now)
  // Fast path: nothing set on `res` yet and nobody wrapping writeHead (a waiting header hook
  // wraps it for good, http-hooks.ts), so the stored headers go out as one raw list (Node then
  // skips its per-header bookkeeping).
  if (res.writeHead === plainWriteHead && res.getHeaderNames().length === 0) {
    // `writeHead` turns a header list into the header block before it returns and keeps no
    // reference to it, so a shared page's list with an `age` slot is made once and the slot is
    // filled per hit, instead of a copy of the list per hit.
    const raw = shared ? (p.withAge ??= [...p.raw, 'age', '']) : [...p.raw, 'age', '']
    raw[raw.length - 1] = age
    if (stored.statusText) res.writeHead(stored.status, stored.statusText, raw)
    else res.writeHead(stored.status, raw)
  } else {
    // Headers already on `res` (Express's X-Powered-By, a hook's patch): the stored ones
    // replace same-named ones, as setHeader does (a servable page holds no Set-Cookie).
    res.statusCode = stored.status
    if (stored.statusText) res.statusMessage = stored.statusText
    const raw = p.raw
    for (let i = 0; i < raw.length; i += 2) res.setHeader(raw[i] as string, raw[i + 1] as string)
    res.setHeader('age', age)
  }
  const body = stored.body
  if (body.byteLength === 0) res.end()
  else if (shared && body.byteLength <= TEXT_BODY_MAX) {
    // latin1 maps each byte to one char and back, so the bytes sent are exactly the stored ones.
    p.text ??= Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1')
    res.end(p.text, 'latin1')
  } else res.end(body)
}

/** Write a Fetch `Response` core returned (a 304, a hit for a conditional request, a fresh page). */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (alreadySent.has(response)) return
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined
  writeNodeResponse(res, response.status, response.headers, body, response.statusText)
}

/**
 * `writeResponse` for shared mode: the view set its headers on `res` itself, so a field the
 * shared cache took out of what it sends (`Surrogate-Control` meant for it) is removed here.
 */
export function writeSharedResponse(res: ServerResponse, response: Response): Promise<void> {
  if (!response.headers.has('surrogate-control') && !alreadySent.has(response))
    res.removeHeader('surrogate-control')
  return writeResponse(res, response)
}
