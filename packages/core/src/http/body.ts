/**
 * Response bodies for the response cache: read a body once, up to a size limit, and hand the
 * client an equivalent body whatever happened (the bytes, or the bytes read so far followed by
 * the rest of the stream), so a body is never consumed twice.
 */

/** What a stored page is: a plain object any backend can hold (memcached, db, file, indexeddb). */
export interface StoredResponse {
  status: number
  statusText: string
  /** In order; `set-cookie` entries stay separate. */
  headers: [string, string][]
  body: Uint8Array
  /** Epoch ms when stored (gives the `Age` header on hits). */
  storedAt: number
}

/** Whether a value read back from a cache is a `StoredResponse`. */
export function isStoredResponse(v: unknown): v is StoredResponse {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  return (
    typeof o.status === 'number' &&
    typeof o.storedAt === 'number' &&
    Array.isArray(o.headers) &&
    o.body instanceof Uint8Array &&
    o.headers.every((h) => Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'string')
  )
}

/** The result of `readBody`: the whole body, or a response to pass through uncached. */
export type ReadBody = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'passthrough'; response: Response }

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

function rebuilt(response: Response, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

/**
 * Read `response`'s body if it is at most `limit` bytes. A declared `Content-Length` over the
 * limit, or an event stream, is passed through untouched; a body that grows past the limit
 * while being read is passed through as the chunks already read followed by the rest.
 */
export async function readBody(response: Response, limit: number): Promise<ReadBody> {
  const body = response.body
  if (body === null) return { kind: 'bytes', bytes: new Uint8Array(0) }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  const type = response.headers.get('content-type') ?? ''
  if (declared > limit || /^\s*text\/event-stream/i.test(type) || body.locked || response.bodyUsed) {
    return { kind: 'passthrough', response }
  }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { kind: 'bytes', bytes: concat(chunks, total) }
      const chunk = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBufferLike)
      chunks.push(chunk)
      total += chunk.length
      if (total > limit) break
    }
  } catch (error) {
    // The handler's stream failed: the client sees what was read, then the same failure.
    const failed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c)
        controller.error(error)
      },
    })
    return { kind: 'passthrough', response: rebuilt(response, failed) }
  }
  // Over the limit: replay what was read, then stream the rest as the client pulls it.
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c)
      chunks.length = 0
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      } catch (error) {
        controller.error(error)
      }
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
  return { kind: 'passthrough', response: rebuilt(response, rest) }
}

/** Serialise a response whose body was read. */
export function storeResponse(response: Response, body: Uint8Array, storedAt: number): StoredResponse {
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body,
    storedAt,
  }
}

/** A fresh `Response` from stored bytes (each caller gets its own body); `withBody: false` for HEAD. */
export function responseFrom(stored: StoredResponse, withBody = true): Response {
  const headers = new Headers()
  for (const [name, value] of stored.headers) headers.append(name, value)
  return new Response(withBody ? stored.body.slice() : null, {
    status: stored.status,
    statusText: stored.statusText,
    headers,
  })
}

/** The response itself when its headers can be changed, else a copy that can (e.g. from `fetch`). */
export function mutableResponse(response: Response): Response {
  try {
    response.headers.append('x-cachework-probe', '1')
    response.headers.delete('x-cachework-probe')
    return response
  } catch {
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }
}
