// Process B of the tiered tests (docs/contract.md rule 18): a tiered(locmem, redis) cache with
// the Redis bus, driven over stdin with one JSON command per line, answering one JSON line each:
//   ["get", key] → value or "<miss>";  ["l1set", key, value] (write B's L1 only, as a stale copy);
//   ["l1has", key] → boolean;  ["stats"] → the tiered stats;  ["close"].
import { createInterface } from 'node:readline'
import { LocMemCache, TieredCache } from '@cachework/core'
import '../../src/index.ts'

const [url, l1Seconds] = process.argv.slice(2) as [string, string]
// The identity key function lets the test write a tiered raw key straight into L1.
const l1 = new LocMemCache({ location: 'tiered-child-l1', timeout: Number(l1Seconds), keyFunction: (k) => k })
const t = new TieredCache({
  keyPrefix: 'tiered-test',
  options: {
    timeoutMs: 300,
    tiers: [l1, { backend: 'redis', location: url, options: { timeoutMs: 300 } }],
    bus: { type: 'redis', url, maxReconnectDelayMs: 100 },
  },
})
const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  const [op, key, value] = JSON.parse(line) as [string, string, unknown]
  let out: unknown
  try {
    if (op === 'get') out = await t.get(key, '<miss>')
    else if (op === 'l1set') out = await l1.set(t.makeKey(key), value)
    else if (op === 'l1has') out = [...(await entriesOf(l1))].some((raw) => raw === t.makeKey(key))
    else if (op === 'stats') out = t.stats()
    else if (op === 'close') {
      await t.close()
      process.stdout.write('"closed"\n')
      process.exit(0)
    }
  } catch (e) {
    out = { error: String(e) }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
})
// Ready once the first read has connected the tiers and the bus.
await t.get('warm-up')
process.stdout.write('"ready"\n')

async function entriesOf(c: LocMemCache): Promise<string[]> {
  const raws: string[] = []
  for await (const e of c.entries()) raws.push(e.rawKey)
  return raws
}
