/**
 * `npm run bench -- tiers`: the tiered backend's L1 hit against locmem alone and against
 * bentocache's two-tier cache on the same redis-server; and what tags cost a `get` on redis and
 * memcached (an untagged get is one round trip; a tagged one two; a tagged one told its tags,
 * one multi-get), beside bentocache's tags on the same Redis. Each contender in its own process
 * (bench/contenders/tiers.ts).
 *
 * `TIERS_BENCH_QUICK=1`: a smoke run (200 keys, one short round) that shows every contender
 * fills and answers; its figures are not measurements.
 */
import { fileURLToPath } from 'node:url'
import { MemcachedProcess } from '../../packages/node/test/support/memcached-server.ts'
import { RedisProcess } from '../../packages/node/test/support/redis-server.ts'
import type { BenchSuite, Table } from '../harness.ts'
import { compare, loadNow, nodeContender } from '../support/rounds.ts'

const FILE = fileURLToPath(new URL('../contenders/tiers.ts', import.meta.url))
const QUICK = process.env.TIERS_BENCH_QUICK === '1'
const N = QUICK ? 200 : 2_000
const ROUNDS = QUICK ? { rounds: 1, roundMs: 100 } : { rounds: 5 }

export const suite: BenchSuite = {
  name: 'tiers',
  title: 'tiers and tags',
  command: `${QUICK ? 'TIERS_BENCH_QUICK=1 ' : ''}npm run bench -- tiers`,
  async run(): Promise<Table[]> {
    const before = loadNow()
    const redis = await RedisProcess.start()
    const mc = await MemcachedProcess.start()
    try {
      const tables: Table[] = []
      const { table: hit } = await compare({
        title: `get (hit), ${N.toLocaleString('en-US')} keys, ~100-byte strings: L1 hits`,
        ...ROUNDS,
        contenders: [
          nodeContender('locmem alone', FILE, 'locmem', { n: N, prefix: 'lm' }),
          nodeContender('tiered(locmem, redis) + redis bus', FILE, 'tiered', {
            n: N,
            prefix: 'tr',
            url: redis.url,
          }),
          nodeContender('bentocache memory + redis', FILE, 'bento', { n: N, prefix: 'bc', url: redis.url }),
        ],
      })
      hit.notes?.push('Target: tiered L1 hit >= 0.8x locmem alone.')
      tables.push(hit)
      for (const [name, where] of [
        ['redis', { url: redis.url }],
        ['memcached', { memcached: mc.location }],
      ] as const) {
        const { table } = await compare({
          title: `${name}: get (hit) untagged vs tagged (2 tags), concurrency 1`,
          ...ROUNDS,
          contenders: [
            nodeContender(`${name} untagged (1 round trip)`, FILE, 'backend', {
              n: N,
              prefix: `${name}u`,
              mode: 'untagged',
              ...where,
            }),
            nodeContender(`${name} tagged (2 round trips)`, FILE, 'backend', {
              n: N,
              prefix: `${name}t`,
              mode: 'tagged',
              ...where,
            }),
            nodeContender(`${name} tagged, get told the tags (1 multi-get)`, FILE, 'backend', {
              n: N,
              prefix: `${name}h`,
              mode: 'tagged-hint',
              ...where,
            }),
            ...(name === 'redis'
              ? [
                  nodeContender('bentocache redis untagged', FILE, 'bentoTags', {
                    n: N,
                    prefix: 'bcu',
                    mode: 'untagged',
                    ...where,
                  }),
                  nodeContender('bentocache redis tagged', FILE, 'bentoTags', {
                    n: N,
                    prefix: 'bct',
                    mode: 'tagged',
                    ...where,
                  }),
                ]
              : []),
          ],
        })
        table.notes?.push(
          'Target: a tagged get costs at most one round trip more than an untagged one (counted in packages/node/test/tag-round-trips.test.ts).',
        )
        tables.push(table)
      }
      if (QUICK) for (const t of tables) t.notes?.push('TIERS_BENCH_QUICK=1: a smoke run, not a measurement.')
      tables[tables.length - 1]?.notes?.push(
        `Machine load (1/5/15 min) before the suite: ${before}; after: ${loadNow()}.`,
      )
      return tables
    } finally {
      await mc.stop()
      await redis.stop()
    }
  },
}
