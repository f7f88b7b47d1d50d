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

/**
 * Whether this Node writes an entry of its header store as `name: value` CRLF with the value
 * as it is (`_storeHeader`, which re-validates nothing in its store), checked at load. Then the
 * fields of a run that Node reads nothing of go out as one entry, the later ones joined into the
 * first one's value (`a: 1\r\nb: 2`), the same bytes: `_storeHeader` costs per entry (four
 * concatenations, and a lower-casing of the name to look for the fields it acts on), not per byte.
 */
const JOINS = OUT_HEADERS !== undefined && joinsEntries(OUT_HEADERS)

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

function joinsEntries(outHeaders: symbol): boolean {
  try {
    const req = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }
    const check = new ServerResponse(req as IncomingMessage)
    ;(check as unknown as Record<symbol, unknown>)[outHeaders] = {
      b: ['b', '1\r\nc: 3'],
      'content-length': ['content-length', '5'],
      a: ['a', '2'],
    }
    check.writeHead(200)
    const head = (check as unknown as { _header?: unknown })._header
    return (
      typeof head === 'string' &&
      head.startsWith('HTTP/1.1 200 OK\r\nb: 1\r\nc: 3\r\ncontent-length: 5\r\na: 2\r\n') &&
      !/transfer-encoding/i.test(head)
    )
  } catch {
    return false
  }
}

/**
 * Fields `_storeHeader` acts on by name (its `matchHeader`: the framing, keep-alive and Date
 * fields; `content-disposition`, which it may re-encode): each is an entry of its own, holding its
 * own value alone, so Node sees it as it does in a header list. Only the others are joined.
 */
const NODE_READS = new Set([
  'connection',
  'transfer-encoding',
  'content-length',
  'date',
  'expect',
  'trailer',
  'keep-alive',
  'content-disposition',
])

/**
 * A shared page's fields as Node's header store holds them, validated, with the entry that ends
 * in the `Age` filled per hit: `ageEntry[1] = agePrefix + age` (the last entry's value and
 * `\r\nage: ` when it is joined into it, else an `age` entry of its own and `''`), and set back
 * to `ageIdle` once the head is made (see `releaseAge`).
 */
interface CheckedFields {
  readonly fields: Record<string, [string, string]>
  readonly ageEntry: [string, string]
  readonly agePrefix: string
  readonly ageIdle: string
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
  const names = new Set<string>()
  // The entry the next field may be joined into (one that Node reads nothing of).
  let open: [string, string] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    if (names.has(name) || name === 'age' || INDEX_LIKE.test(name)) return null
    try {
      validateHeaderName(name)
      validateHeaderValue(name, value)
    } catch {
      return null // the list path throws Node's own error
    }
    names.add(name)
    const read = NODE_READS.has(name)
    if (JOINS && open !== undefined && !read) open[1] = `${open[1]}\r\n${name}: ${value}`
    else {
      const entry: [string, string] = [name, value]
      fields[name] = entry
      open = read ? undefined : entry
    }
  }
  if (JOINS && open !== undefined)
    return { fields, ageEntry: open, agePrefix: `${open[1]}\r\nage: `, ageIdle: open[1] }
  const age: [string, string] = ['age', '']
  fields.age = age
  return { fields, ageEntry: age, agePrefix: '', ageIdle: '' }
}

/*
 * releaseAge: the `Age` a hit puts into a shared page's fields or list is a string made for that
 * hit, in an object that lives as long as the page. Left there, every page would hold its last
 * hit's string until its next hit: each one survives the young-generation collections and is
 * promoted to the old one before it is dropped, so with many pages the hits feed full
 * collections. The slot is emptied once `writeHead` has made the head (which keeps no reference
 * to it). Over 10,000 URLs (the `pages` bench server, CPU-profiled) this cut GC time per hit by
 * about a third (~1.5 to ~1.0 µs).
 */

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
      checked.ageEntry[1] = checked.agePrefix + age
      store[OUT_HEADERS as symbol] = checked.fields
      if (stored.statusText) res.writeHead(stored.status, stored.statusText)
      else res.writeHead(stored.status)
      store[OUT_HEADERS as symbol] = null
      checked.ageEntry[1] = checked.ageIdle // releaseAge
    } else {
      // `writeHead` turns a header list into the header block before it returns and keeps no
      // reference to it, so a shared page's list with an `age` slot is made once and the slot is
      // filled per hit, instead of a copy of the list per hit.
      const raw = shared ? (p.withAge ??= [...p.raw, 'age', '']) : [...p.raw, 'age', '']
      raw[raw.length - 1] = age
      if (stored.statusText) res.writeHead(stored.status, stored.statusText, raw)
      else res.writeHead(stored.status, raw)
      raw[raw.length - 1] = '' // releaseAge
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
