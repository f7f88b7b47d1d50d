/**
 * Conditional requests: Django's `get_conditional_response` (django/utils/cache.py), whose order
 * of evaluation is RFC 9110 §13.2.2's: If-Match, If-Unmodified-Since, If-None-Match,
 * If-Modified-Since.
 */
import { parseHttpDate } from './headers.ts'

const ETAG = /^((?:W\/)?"[^"]*")$/

/** Django's `parse_etags`: `['*']`, or the well-formed entity tags of a list header. */
export function parseEtags(value: string | null | undefined): string[] {
  if (!value) return []
  if (value.trim() === '*') return ['*']
  const out: string[] = []
  for (const part of value.split(',')) {
    const m = ETAG.exec(part.trim())
    if (m?.[1]) out.push(m[1])
  }
  return out
}

const weak = (etag: string): string => (etag.startsWith('W/') ? etag.slice(2) : etag)

// RFC 9110 §13.1.1: If-Match uses the strong comparison; a weak tag never matches.
function ifMatchPasses(etag: string | null, tags: string[]): boolean {
  if (!etag) return false
  if (tags.length === 1 && tags[0] === '*') return true
  if (etag.startsWith('W/')) return false
  return tags.includes(etag)
}

// RFC 9110 §13.1.2: If-None-Match uses the weak comparison.
function ifNoneMatchPasses(etag: string | null, tags: string[]): boolean {
  if (!etag) return true
  if (tags.length === 1 && tags[0] === '*') return false
  const target = weak(etag)
  return !tags.some((t) => weak(t) === target)
}

// What a 304 keeps (RFC 9110 §15.4.5, plus Last-Modified, Set-Cookie and Age as Django/RFC 9111).
const KEPT = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'last-modified', 'vary', 'age']

/** A `304 Not Modified` carrying the validator and caching headers of `response`. */
export function notModified(response: Response): Response {
  const headers = new Headers()
  for (const name of KEPT) {
    const v = response.headers.get(name)
    if (v !== null) headers.set(name, v)
  }
  for (const cookie of response.headers.getSetCookie?.() ?? []) headers.append('set-cookie', cookie)
  return new Response(null, { status: 304, statusText: 'Not Modified', headers })
}

function discardBody(response: Response): void {
  if (response.body && !response.bodyUsed && !response.body.locked)
    void response.body.cancel().catch(() => {})
}

/**
 * Answer the request's preconditions against `response`'s `ETag` and `Last-Modified`: a `304`
 * for a GET/HEAD whose `If-None-Match`/`If-Modified-Since` matches, a `412` for a failed
 * `If-Match`/`If-Unmodified-Since`, otherwise `response` itself. Non-2xx responses pass as is.
 */
export function conditionalResponse(request: Request, response: Response): Response {
  if (response.status < 200 || response.status > 299) return response
  const etag = response.headers.get('etag')
  const lastModified = parseHttpDate(response.headers.get('last-modified'))
  if (!etag && lastModified === undefined) return response
  const h = request.headers
  const ifMatch = parseEtags(h.get('if-match'))
  const ifUnmodifiedSince = parseHttpDate(h.get('if-unmodified-since'))
  const ifNoneMatch = parseEtags(h.get('if-none-match'))
  const ifModifiedSince = parseHttpDate(h.get('if-modified-since'))
  const safe = request.method === 'GET' || request.method === 'HEAD'

  let result = response
  if (ifMatch.length > 0 && !ifMatchPasses(etag, ifMatch)) {
    result = new Response(null, { status: 412 })
  } else if (
    ifMatch.length === 0 &&
    ifUnmodifiedSince !== undefined &&
    !(lastModified !== undefined && lastModified <= ifUnmodifiedSince)
  ) {
    result = new Response(null, { status: 412 })
  } else if (ifNoneMatch.length > 0 && !ifNoneMatchPasses(etag, ifNoneMatch)) {
    result = safe ? notModified(response) : new Response(null, { status: 412 })
  } else if (
    ifNoneMatch.length === 0 &&
    ifModifiedSince !== undefined &&
    safe &&
    lastModified !== undefined &&
    lastModified <= ifModifiedSince
  ) {
    result = notModified(response)
  }
  if (result !== response) discardBody(response)
  return result
}
