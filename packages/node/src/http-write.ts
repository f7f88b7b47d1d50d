/**
 * Writing what the page cache answers to a node:http `ServerResponse`: a stored page (a hit,
 * decided by core's `peekHit`/`lookupHit`, made ready by core's `preparePage`) straight to the
 * socket, a Fetch `Response` core's engine returned, and the 400 for a bad host (rule 20).
 */
import { type IncomingMessage, ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http'
import {
  badHostResponse,
  hitAge,
  type PreparedPage,
  preparePage,
  type StoredResponse,
} from '@cachework/core/http'
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
 * Where a `ServerResponse` keeps what `setHeader` stored (Node's internal `kOutHeaders`: an
 * object of lower-case name -> [name, value]), found once on a probe response, or `undefined`
 * when this Node keeps its headers otherwise. `writeHead(status)` with no headers passed sends
 * that object's entries without validating them again (setHeader validated them), where
 * headers passed to `writeHead` are validated per write: two regular expressions and a
 * lower-casing per field, ~1k instructions each (callgrind), on fields a stored page repeats
 * on every hit. So a shared page's fields are validated once, with Node's own
 * `validateHeaderName`/`validateHeaderValue`, and each hit hands Node that checked object.
 */
const OUT_HEADERS: symbol | undefined = findOutHeaders()

function findOutHeaders(): symbol | undefined {
  try {
    const req = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }
    const probe = new ServerResponse(req as IncomingMessage)
    probe.setHeader('x-probe', 'a')
    let found: symbol | undefined
    for (const s of Object.getOwnPropertySymbols(probe)) {
      const v = (probe as unknown as Record<symbol, unknown>)[s] as Record<string, unknown> | null
      if (v !== null && typeof v === 'object' && Array.isArray(v['x-probe']) && v['x-probe'][1] === 'a')
        found = s
    }
    if (found === undefined) return undefined
    // Check that writeHead sends an object put there, in order, as it is.
    const check = new ServerResponse(req as IncomingMessage)
    ;(check as unknown as Record<symbol, unknown>)[found] = { b: ['b', '1'], a: ['a', '2'] }
    check.writeHead(200)
    const head = (check as unknown as { _header?: unknown })._header
    return typeof head === 'string' && head.startsWith('HTTP/1.1 200 OK\r\nb: 1\r\na: 2\r\n')
      ? found
      : undefined
  } catch {
    return undefined
  }
}

/** A shared page's fields as Node's header store holds them, validated, with the `age` entry filled per hit. */
interface CheckedFields {
  readonly fields: Record<string, [string, string]>
  readonly age: [string, string]
}
const CHECKED: unique symbol = Symbol('cachework.checkedFields')
type WithChecked = PreparedPage & { [CHECKED]?: CheckedFields | null }

// An array index orders first in an object (a header named `7`): such a page keeps the raw list.
const INDEX_LIKE = /^(0|[1-9]\d*)$/

/** `p`'s checked fields, or null when they cannot go out through Node's header store as they would as a list. */
function checkedFields(p: PreparedPage): CheckedFields | null {
  if (p.protoField) return null
  const raw = p.raw
  // A plain object (not a null-prototype one, which V8 keeps in dictionary mode, slower to
  // enumerate): writeHead only enumerates its own keys, and it is off the response once sent.
  const fields: Record<string, [string, string]> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    if (Object.hasOwn(fields, name) || name === 'age' || INDEX_LIKE.test(name)) return null
    try {
      validateHeaderName(name)
      validateHeaderValue(name, value)
    } catch {
      return null // the list path throws Node's own error
    }
    fields[name] = [name, value]
  }
  const age: [string, string] = ['age', '']
  fields.age = age
  return { fields, age }
}

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
  const store = res as unknown as Record<symbol, unknown>
  // Node's store is null until a header is set: no header-name array to make for that test.
  const unset = OUT_HEADERS !== undefined && store[OUT_HEADERS] === null
  if (res.writeHead === plainWriteHead && (unset || res.getHeaderNames().length === 0)) {
    const checked =
      shared && OUT_HEADERS !== undefined ? ((p as WithChecked)[CHECKED] ??= checkedFields(p)) : null
    if (checked !== null) {
      // The age is digits only: a valid field value. The store is emptied again once the head
      // is made, so `res` reads afterwards as it does after a header list (no headers kept).
      checked.age[1] = age
      store[OUT_HEADERS as symbol] = checked.fields
      if (stored.statusText) res.writeHead(stored.status, stored.statusText)
      else res.writeHead(stored.status)
      store[OUT_HEADERS as symbol] = null
    } else {
      // `writeHead` turns a header list into the header block before it returns and keeps no
      // reference to it, so a shared page's list with an `age` slot is made once and the slot is
      // filled per hit, instead of a copy of the list per hit.
      const raw = shared ? (p.withAge ??= [...p.raw, 'age', '']) : [...p.raw, 'age', '']
      raw[raw.length - 1] = age
      if (stored.statusText) res.writeHead(stored.status, stored.statusText, raw)
      else res.writeHead(stored.status, raw)
    }
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
