/**
 * Answering a `Range` request from a stored complete response (RFC 9110 §14): a single byte
 * range, a suffix (`bytes=-N`) or an open end (`bytes=N-`) becomes a `206 Partial Content`
 * with `Content-Range`; an unsatisfiable one a `416`. Several ranges, other units, or an
 * `If-Range` are left to the origin.
 */

/** A byte range to serve, inclusive, or `'unsatisfiable'`. */
export type ByteRange = { start: number; end: number } | 'unsatisfiable'

/**
 * Parse a `Range` value for a representation of `size` bytes (RFC 9110 §14.1.2): one
 * `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. `undefined` when the cache should not
 * answer it (absent, another unit, several ranges, malformed).
 */
export function parseRange(value: string | null | undefined, size: number): ByteRange | undefined {
  if (!value) return undefined
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value)
  if (!m) return undefined
  const [first, last] = [m[1] as string, m[2] as string]
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}

/**
 * The status, headers and body of the answer to `range` from a complete `body`: 206 with
 * `Content-Range` and the slice, or 416 with `Content-Range: bytes *\/size`.
 */
export function rangeAnswer(
  range: ByteRange,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Uint8Array,
): { status: number; headers: Array<[string, string]>; body: Uint8Array } {
  const rest = headers
    .filter(([k]) => {
      const l = k.toLowerCase()
      return l !== 'content-length' && l !== 'content-range'
    })
    .map(([k, v]) => [k, v] as [string, string])
  if (range === 'unsatisfiable') {
    return {
      status: 416,
      headers: [...rest, ['content-range', `bytes */${body.byteLength}`]],
      body: new Uint8Array(0),
    }
  }
  const slice = body.subarray(range.start, range.end + 1)
  return {
    status: 206,
    headers: [
      ...rest,
      ['content-range', `bytes ${range.start}-${range.end}/${body.byteLength}`],
      ['content-length', String(slice.byteLength)],
    ],
    body: slice,
  }
}
