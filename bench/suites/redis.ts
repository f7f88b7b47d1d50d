/**
 * `npm run bench -- redis`: the redis backend against node-redis itself (the ceiling), ioredis,
 * Keyv over @keyv/redis and cache-manager over @keyv/redis, each contender in its own process
 * (bench/contenders/redis.ts, support/rounds.ts) against one local redis-server started here,
 * at 10,000 keys: single get/set at concurrency 1 and 64, and getMany(100) against one raw MGET
 * of 100 and against 100 awaited single GETs. The node-redis ceiling runs without node-redis 6's
 * default per-command timer, as cachework does (bench/contenders/redis.ts); a second row shows
 * node-redis with its default options.
 */
import { fileURLToPath } from 'node:url'
import { RedisProcess } from '../../packages/node/test/support/redis-server.ts'
import type { BenchSuite, Table } from '../harness.ts'
import { targetNote } from '../support/notes.ts'
import { type ContenderSpec, compare, loadNow, nodeContender } from '../support/rounds.ts'

const FILE = fileURLToPath(new URL('../contenders/redis.ts', import.meta.url))
const N = 10_000
/** Rounds per table: single calls at concurrency 1 spread 3–5× between rounds (docs/benchmarks.md, Method). */
const ROUNDS = 15
const CW = 'cachework redis'
const RAW = 'node-redis 6.3'
const RAW_DEFAULTS = 'node-redis 6.3, default options'
const KEYV = 'Keyv + @keyv/redis'
const CM = 'cache-manager + @keyv/redis'

export const suite: BenchSuite = {
  name: 'redis',
  title: 'redis backend',
  command: 'npm run bench -- redis',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const server = await RedisProcess.start({ args: ['--maxmemory', '512mb'] })
    try {
      const tables: Table[] = []
      const base = { url: server.url, n: N }
      for (const [op, conc] of [
        ['get', 1],
        ['get', 64],
        ['set', 1],
        ['set', 64],
      ] as const) {
        const params = (prefix: string) => ({ ...base, op, conc, prefix })
        const { table } = await compare({
          rounds: ROUNDS,
          title: `${op === 'get' ? 'get (hit)' : 'set (overwrite, 300 s TTL)'}, concurrency ${conc}, ${N.toLocaleString('en-US')} keys, ~100-byte strings`,
          contenders: [
            nodeContender(CW, FILE, 'cachework', params('cw')),
            nodeContender(RAW, FILE, 'nodeRedis', params('raw'), 'commandOptions.timeout 0, as cachework'),
            nodeContender(
              RAW_DEFAULTS,
              FILE,
              'nodeRedis',
              { ...params('rawd'), defaults: true },
              'its 5 s per-command timer on',
            ),
            nodeContender('ioredis 5', FILE, 'ioredis', params('io')),
            nodeContender(KEYV, FILE, 'keyv', params('kv')),
            nodeContender(CM, FILE, 'cacheManager', params('cm')),
          ],
        })
        table.notes?.unshift(
          targetNote(table.rows, CW, RAW, 0.9, `cachework vs raw node-redis ${op.toUpperCase()}`),
          targetNote(table.rows, CW, KEYV, 1, 'cachework vs Keyv'),
          targetNote(table.rows, CW, CM, 1, 'cachework vs cache-manager'),
        )
        tables.push(table)
      }
      const many = (prefix: string, op: string) => ({ ...base, op, conc: 1, prefix })
      const contenders: ContenderSpec[] = [
        nodeContender('cachework getMany(100)', FILE, 'cachework', many('cw', 'getMany')),
        nodeContender('node-redis: one MGET of 100', FILE, 'nodeRedis', many('raw', 'getMany')),
        nodeContender('node-redis: 100 awaited GETs', FILE, 'nodeRedis', many('raw', 'getSeq')),
        nodeContender('ioredis: one MGET of 100', FILE, 'ioredis', many('io', 'getMany')),
        nodeContender('Keyv getMany(100)', FILE, 'keyv', many('kv', 'getMany')),
        nodeContender('cache-manager mget(100)', FILE, 'cacheManager', many('cm', 'getMany')),
      ]
      const { table: m } = await compare({
        rounds: ROUNDS,
        title: `getMany of 100 keys out of ${N.toLocaleString('en-US')}`,
        unit: 'calls/s',
        contenders,
      })
      m.notes?.unshift(
        targetNote(
          m.rows,
          'cachework getMany(100)',
          'node-redis: one MGET of 100',
          0.9,
          'getMany vs one raw MGET',
        ),
        targetNote(
          m.rows,
          'cachework getMany(100)',
          'node-redis: 100 awaited GETs',
          10,
          'getMany vs 100 awaited GETs',
        ),
        targetNote(m.rows, 'cachework getMany(100)', 'Keyv getMany(100)', 1, 'getMany vs Keyv'),
        targetNote(
          m.rows,
          'cachework getMany(100)',
          'cache-manager mget(100)',
          1,
          'getMany vs cache-manager',
        ),
      )
      m.notes?.push(`Machine load (1/5/15 min) before the suite: ${before}; after: ${loadNow()}.`)
      tables.push(m)
      return tables
    } finally {
      await server.stop()
    }
  },
}
