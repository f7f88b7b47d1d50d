// Shared setup for the response-cache engine tests (http-engine.test.ts, http-flow.test.ts).
import { uniqueKey } from '@cachework/core/testing'
import { LocMemCache } from '../../src/index.ts'

/** A new, empty locmem store at a location of its own (`http-…`), so tests never share entries. */
export const freshCache = () => new LocMemCache({ location: uniqueKey('http') })

/** A handler that counts its runs and answers `body #n` with the given headers. */
export function counting(
  init: ResponseInit | ((req: Request) => ResponseInit) = {},
  body?: (req: Request) => string,
) {
  const state = { runs: 0 }
  const handler = async (req: Request) => {
    state.runs++
    const i = typeof init === 'function' ? init(req) : init
    return new Response(body ? body(req) : `body #${state.runs}`, i)
  }
  return { state, handler }
}

/** A `Request` for `url` with `headers` and `method` (default GET, no extra headers). */
export const get = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
  new Request(url, { method, headers })
