// Child process for redis.test.ts: `incr` one key N times on a shared redis-server and report
// how many calls failed (as JSON on stdout). The N calls run 20 at a time: node-redis pipelines
// them, so the four processes' scripts interleave on the server far more than one call at a time
// would (a harder test of atomicity), and the run takes seconds instead of half a minute.
import type { IncrReport } from './incr-loop.ts'
import { RedisCache } from '../../src/redis.ts'

const [location, prefix, key, count] = process.argv.slice(2) as [string, string, string, string]
const c = new RedisCache({ location, keyPrefix: prefix, options: { timeoutMs: 10_000 } })
// Connect first (loading node-redis in four fresh processes at once can outlast a first call's
// deadline on a loaded machine): the count below is about incr, not about start-up.
for (let i = 0; i < 300 && !(await c.set(`warm:${process.pid}`, 1, 5).catch(() => false)); i++) {
  await new Promise((r) => setTimeout(r, 100))
}

/** `incr` `key` `times` times in total, `lanes` calls in flight at once, counting failures. */
async function incrConcurrently(times: number, lanes: number): Promise<IncrReport> {
  let left = times
  let errors = 0
  const messages = new Set<string>()
  const lane = async () => {
    while (left > 0) {
      left--
      try {
        await c.incr(key)
      } catch (e) {
        errors++
        messages.add(String((e as Error).message))
      }
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return { errors, messages: [...messages] }
}

const report = await incrConcurrently(Number(count), 20)
await c.close()
process.stdout.write(JSON.stringify(report))
