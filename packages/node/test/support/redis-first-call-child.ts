// A fresh process whose `redis` import is slow (slow-redis-import.mjs): its first calls, made
// before node-redis is loaded, under a `timeoutMs` far shorter than the import. Prints one JSON line.
import { RedisCache } from '../../src/redis.ts'

const [url, timeoutMs] = process.argv.slice(2)
const c = new RedisCache({
  location: url,
  keyPrefix: 'first-call',
  options: { timeoutMs: Number(timeoutMs) },
})
const t0 = performance.now()
const sets = await Promise.all(Array.from({ length: 20 }, (_, i) => c.set(`k${i}`, `v${i}`)))
const importMs = performance.now() - t0
const got = await c.getMany(Array.from({ length: 20 }, (_, i) => `k${i}`))
process.stdout.write(
  `${JSON.stringify({ setsOk: sets.filter(Boolean).length, read: Object.keys(got).length, errors: c.stats().errors, importMs })}\n`,
)
await c.close()
