/**
 * The http suite's instruction table: the Node servers' instructions per request under
 * callgrind (bench/support/callgrind.ts), the median of several counted windows per server.
 */
import { met, ratio, type Row, type Table } from '../harness.ts'
import {
  CALLGRIND_CONNECTIONS,
  COUNTED_REQUESTS,
  COUNTED_WINDOWS,
  instructionsPerRequest,
  WARMUP_REQUESTS,
  WARMUP_RUNS,
} from '../support/callgrind.ts'
import { formatSpread, spread } from '../support/spread.ts'

/** The same stacks' instructions per request under callgrind (deterministic, unlike req/s). */
export async function instructionTable(nodeArgs: (kind: string) => string[]): Promise<Table> {
  const kinds: Array<[string, string]> = [
    ['Express 5 + apicache', 'express-apicache'],
    ['Express 5 + cachework cacheMiddleware', 'express-cached'],
    ['Express 5, fixed body, no cache', 'express'],
    ['node:http, fixed bytes', 'bare'],
    ['node:http + cachework (cached page)', 'node-cached'],
    ['Fastify 5, fixed body, no cache', 'fw-fastify'],
    ['Fastify 5 + cachework fastifyCache', 'fw-fastify-cached'],
    ['Fastify 5 + @fastify/caching', 'fw-fastify-caching'],
    ['Hono 4 on @hono/node-server, fixed body', 'fw-hono'],
    ['Hono 4 + cachework cacheApp', 'fw-hono-app'],
    ['Hono 4 + cachework cacheMiddleware', 'fw-hono-cached'],
    ['Koa 3, fixed body, no cache', 'fw-koa'],
    ['Koa 3 + cachework cacheMiddleware', 'fw-koa-cached'],
    ['Koa 3 + koa-cash', 'fw-koa-cash'],
  ]
  const rows: Row[] = []
  for (const [name, kind] of kinds) {
    const { perWindow, compileShare } = await instructionsPerRequest(nodeArgs(kind))
    const s = spread(perWindow)
    rows.push({
      name,
      opsPerSec: 1e9 / s.median,
      min: 1e9 / s.max,
      max: 1e9 / s.min,
      note: `${formatSpread(s)} instructions per request (TurboFan compiling ${(compileShare * 100).toFixed(1)} % of them)`,
    })
  }
  const t: Table = {
    title: 'Requests per 10⁹ machine instructions (valgrind callgrind)',
    unit: 'req/Ginstr',
    rows,
  }
  // Fewer instructions per request is better: each ratio is "how many times as many requests".
  const vs = (a: string, b: string, target: number): string => {
    const r = ratio(t, a, b)
    return `${r.toFixed(2)}× (${met(r, target)} ≥ ${target}×)`
  }
  t.notes = [
    `Express + cachework vs Express + apicache: ${vs('Express 5 + cachework cacheMiddleware', 'Express 5 + apicache', 1)}.`,
    `Fastify + cachework vs bare Fastify: ${vs('Fastify 5 + cachework fastifyCache', 'Fastify 5, fixed body, no cache', 0.9)}; vs @fastify/caching: ${vs('Fastify 5 + cachework fastifyCache', 'Fastify 5 + @fastify/caching', 1)}.`,
    `Hono + cachework cacheApp vs bare Hono (node-server): ${vs('Hono 4 + cachework cacheApp', 'Hono 4 on @hono/node-server, fixed body', 0.9)}; the middleware: ${vs('Hono 4 + cachework cacheMiddleware', 'Hono 4 on @hono/node-server, fixed body', 0.9)}.`,
    `Koa + cachework vs Koa + koa-cash: ${vs('Koa 3 + cachework cacheMiddleware', 'Koa 3 + koa-cash', 1)}.`,
    `Each server runs under \`valgrind --tool=callgrind\` with counting off through ${WARMUP_RUNS} warm-up runs of ${WARMUP_REQUESTS.toLocaleString('en-US')} requests, then counts ${COUNTED_WINDOWS} windows of ${COUNTED_REQUESTS.toLocaleString('en-US')} requests each (one callgrind dump per window); every run is autocannon on ${CALLGRIND_CONNECTIONS} new connections. A row is the median window's instructions per request, the lowest and highest window in parentheses, and a ratio divides two rows' medians. New connections deoptimise Node's http code until it has been compiled for them, so after one warm-up run V8's optimising compiler was 39–48 % of the count; after ${WARMUP_RUNS} it is the share printed per row (over all windows). Node runs with V8's \`--predictable\` (compiler and GC on the main thread), so the count does not depend on what else the machine is doing; most windows repeat to within ~1 %, but now and then one window's young-generation GC (scavenges) copies and promotes far more surviving objects than usual and adds ~55k instructions per request to Fastify's 65–72k: the median keeps such a window from setting the row, and the max shows it. It counts instructions, not cycles (cache misses and branch mispredictions are not in it). \`HTTP_BENCH_CALLGRIND=0\` skips this table.`,
  ]
  return t
}
