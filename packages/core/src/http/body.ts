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
  /** The request's absolute URL, when the engine stored it (inspectors show it for the hashed key). */
  url?: string
  /** The request's method, with `url`. */
  method?: string
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

/**
 * The result of `readBody`: the whole body; a response to pass through uncached; or a response
 * already streaming to the client while the body is still read, `done` giving its bytes once
 * it ended within the limit (else `undefined`).
 */
export type ReadBody =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'passthrough'; response: Response }
  | { kind: 'streaming'; response: Response; done: Promise<Uint8Array | undefined> }

/** 50 ms: how long `readBody` waits for a body to end before streaming it to the client. */
export const DEFAULT_STREAM_AFTER_MS = 50

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

// A stream may yield any ArrayBufferView or an ArrayBuffer; the cache keeps plain bytes.
function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  return new Uint8Array(v as ArrayBufferLike)
}

/**
 * Read `response`'s body once, keeping it for the cache while it is at most `limit` bytes.
 * A declared `Content-Length` over the limit, or an event stream, passes through untouched.
 * A body that ends within `streamAfterMs` (in-memory bodies always do) comes back whole. One
 * still arriving after that is handed to the client as it comes (`streaming`), still read for
 * the cache; past the limit the client pulls the rest straight from the source. The client
 * always gets every byte, in order, exactly once.
 */
export async function readBody(
  response: Response,
  limit: number,
  streamAfterMs: number = DEFAULT_STREAM_AFTER_MS,
): Promise<ReadBody> {
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
  let client: ReadableStreamDefaultController<Uint8Array> | undefined
  let overflow = false
  let finished = false
  let cancelled = false
  let failure: { error: unknown } | undefined
  const quietly = (f: () => void) => {
    try {
      f()
    } catch {
      // The client's stream is already closed or errored: nothing left to tell it.
    }
  }

  // Reads eagerly (memory is bounded by `limit`), feeding the client once it exists.
  const pump = (async (): Promise<Uint8Array | undefined> => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (cancelled) return undefined
        if (done) {
          finished = true
          if (client) quietly(() => client?.close())
          return concat(chunks, total)
        }
        const chunk = toBytes(value)
        total += chunk.length
        if (total > limit) {
          // Set before enqueueing: enqueue may call `pull`, which then reads on its own.
          overflow = true
          if (client) {
            chunks.length = 0
            quietly(() => client?.enqueue(chunk))
          } else {
            chunks.push(chunk)
          }
          return undefined
        }
        chunks.push(chunk)
        if (client) quietly(() => client?.enqueue(chunk))
      }
    } catch (error) {
      failure = { error }
      if (client) quietly(() => client?.error(error))
      return undefined
    }
  })()

  const clientStream = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c)
        if (overflow) chunks.length = 0
        if (failure) controller.error(failure.error)
        else if (finished) controller.close()
        else if (!overflow) client = controller
      },
      async pull(controller) {
        // Before the limit the pump feeds the client; past it the client pulls at its own pace.
        if (!overflow || failure || finished) return
        try {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(toBytes(value))
        } catch (error) {
          controller.error(error)
        }
      },
      cancel(reason) {
        cancelled = true
        return reader.cancel(reason)
      },
    })

  let timer: ReturnType<typeof setTimeout> | undefined
  const waited = new Promise<'wait'>((resolve) => {
    timer = setTimeout(() => resolve('wait'), streamAfterMs)
  })
  const first = await Promise.race([pump.then(() => 'pump' as const), waited])
  clearTimeout(timer)
  if (first === 'pump') {
    const bytes = await pump
    if (bytes) return { kind: 'bytes', bytes }
    // Past the limit or failed: what was read, then the rest (or the same failure).
    return { kind: 'passthrough', response: rebuilt(response, clientStream()) }
  }
  return { kind: 'streaming', response: rebuilt(response, clientStream()), done: pump }
}

// RFC 9110 §7.6.1: connection-specific fields describe one hop and are never stored
// (RFC 9111 §3.1), nor are the fields the Connection header names.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Serialise a response whose body was read (connection-specific headers left out). */
export function storeResponse(response: Response, body: Uint8Array, storedAt: number): StoredResponse {
  const named = new Set(
    (response.headers.get('connection') ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase())
      .filter(Boolean),
  )
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers].filter(([name]) => !HOP_BY_HOP.has(name) && !named.has(name)),
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
