// Child process for redis.test.ts: `incr` one key N times on a shared redis-server and report
// how many calls failed (as JSON on stdout).
import { RedisCache } from '../../src/redis.ts'
import { incrRepeatedly } from './incr-loop.ts'

const [location, prefix, key, count] = process.argv.slice(2) as [string, string, string, string]
const c = new RedisCache({ location, keyPrefix: prefix, options: { timeoutMs: 10_000 } })
// Connect first (loading node-redis in four fresh processes at once can outlast a first call's
// deadline on a loaded machine): the count below is about incr, not about start-up.
for (let i = 0; i < 300 && !(await c.set(`warm:${process.pid}`, 1, 5).catch(() => false)); i++) {
  await new Promise((r) => setTimeout(r, 100))
}
const report = await incrRepeatedly(c, key, Number(count))
await c.close()
process.stdout.write(JSON.stringify(report))
