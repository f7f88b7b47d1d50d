/**
 * The adapter conformance suite's header checks: a response field whose name is an ordinary
 * token that is also a special property name of JavaScript objects (`__proto__`, RFC 9110
 * §5.1 allows it) is stored and replayed like any other field, on the miss and on the hit,
 * and never becomes an object's prototype on the way (docs/contract.md rule 20: a hit serves
 * what the miss served).
 */
import type { CacheMiddlewareOptions } from '@cachework/core/http'
import { expect, it } from 'vitest'
import type { ConformanceRoute } from './adapter-conformance.ts'
import type { ServeRoutes } from './adapter-conformance-shared.ts'

/**
 * What an adapter's client receives as the `__proto__` field on a GET miss, a GET hit and a
 * HEAD hit. Every adapter's cache keeps and replays it; a framework that drops it itself (its
 * own header object is a `{}`, or it re-reads the response through a Fetch `Headers` built from
 * an object) says so where it registers the suite.
 */
export type ProtoFieldSeen = readonly [miss: string | null, hit: string | null, headHit: string | null]

/** Register the header checks inside an adapter's conformance `describe`. */
export function headerChecks(
  serve: ServeRoutes,
  path: (name: string) => string,
  options: CacheMiddlewareOptions,
  expected: ProtoFieldSeen = ['kept', 'kept', 'kept'],
): void {
  it('stores and replays a header named __proto__ like any other, polluting nothing', async () => {
    let runs = 0
    // An own `__proto__` key (a literal `{ __proto__: … }` would set the prototype instead).
    const headers: Record<string, string> = JSON.parse('{"__proto__": "kept", "x-plain": "also kept"}')
    const route: ConformanceRoute = {
      path: path('proto'),
      view: () => {
        runs += 1
        return { headers: { ...headers, 'content-type': 'text/plain' }, body: 'proto page' }
      },
    }
    const url = await serve([route], options)
    const seen: string[] = []
    for (const method of ['GET', 'GET', 'HEAD']) {
      const r = await fetch(url(route), { method })
      await r.text()
      seen.push(
        `${method} ${r.status} ${r.headers.get('__proto__')} ${r.headers.get('x-plain')} ${r.headers.get('age') !== null}`,
      )
    }
    expect(seen).toEqual([
      `GET 200 ${expected[0]} also kept false`,
      `GET 200 ${expected[1]} also kept true`,
      `HEAD 200 ${expected[2]} also kept true`,
    ])
    expect(runs).toBe(1)
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
    expect(({} as Record<string, unknown>)['x-plain']).toBeUndefined()
  })
}
