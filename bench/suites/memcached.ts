/**
 * `npm run bench -- memcached`: the memcached backend against memjs and Django's memcached
 * backends (PyLibMCCache when python3-pylibmc is installed, PyMemcacheCache), each contender in
 * its own process (bench/contenders/memcached.ts, support/rounds.ts) against one local
 * memcached, at 10,000 keys, concurrency 1 and 64, two value sizes; plus where cachework's ketama
 * ring places keys compared with libmemcached's.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { KetamaRing } from '../../packages/node/src/ketama.ts'
import { MemcachedProcess } from '../../packages/node/test/support/memcached-server.ts'
import { DJANGO_MEMCACHED } from '../contenders/memcached.ts'
import type { BenchSuite, Table } from '../harness.ts'
import { targetNote } from '../support/notes.ts'
import { type ContenderSpec, compare, loadNow, nodeContender, pythonContender } from '../support/rounds.ts'

const run = promisify(execFile)
const FILE = fileURLToPath(new URL('../contenders/memcached.ts', import.meta.url))
const N = 10_000

// Where libmemcached (pylibmc, ketama_weighted) puts 300 keys on three servers, read back per server.
const PY_RING = `
import json, sys, pylibmc
servers = sys.argv[1].split(',')
ring = pylibmc.Client(servers, behaviors={'ketama_weighted': True})
singles = [pylibmc.Client([s]) for s in servers]
keys = [':1:ring-%d' % i for i in range(300)]
for k in keys: ring.set(k, '1')
print(json.dumps([next((i for i, s in enumerate(singles) if s.get(k) is not None), -1) for k in keys]))
`

/** How many of 300 keys cachework's ketama ring places where libmemcached does, or undefined without pylibmc. */
async function ringAgreement(): Promise<number | undefined> {
  const servers = await Promise.all([0, 1, 2].map(() => MemcachedProcess.start()))
  try {
    const locations = servers.map((s) => s.location)
    const { stdout } = await run('/usr/bin/python3', ['-c', PY_RING, locations.join(',')], {
      timeout: 60_000,
    })
    const theirs = JSON.parse(stdout) as number[]
    const ring = new KetamaRing(locations)
    return theirs.filter((server, i) => ring.serverFor(`:1:ring-${i}`) === server).length
  } catch {
    return undefined
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

async function hasPylibmc(): Promise<boolean> {
  try {
    await run('/usr/bin/python3', ['-c', 'import pylibmc'])
    return true
  } catch {
    return false
  }
}

export const suite: BenchSuite = {
  name: 'memcached',
  title: 'memcached backend',
  command: 'npm run bench -- memcached',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const server = await MemcachedProcess.start({ memoryMb: 512 })
    const lib = await hasPylibmc()
    try {
      const tables: Table[] = []
      const base = { location: server.location, n: N }
      for (const [op, conc, shape] of [
        ['get', 1, 'small'],
        ['get', 64, 'small'],
        ['set', 1, 'small'],
        ['set', 64, 'small'],
        ['get', 1, '4k'],
      ] as const) {
        const params = (prefix: string) => ({ ...base, op, conc, shape, prefix })
        const { table } = await compare({
          title: `${op === 'get' ? 'get (hit)' : 'set (overwrite)'}, concurrency ${conc}, ${N.toLocaleString('en-US')} keys, ${shape === '4k' ? '4 KiB' : '~100-byte'} strings`,
          contenders: [
            nodeContender('cachework memcached', FILE, 'cachework', params('cw')),
            nodeContender('memjs 1.3.2', FILE, 'memjsClient', params('mj')),
          ],
        })
        table.notes?.unshift(
          targetNote(
            table.rows,
            'cachework memcached',
            'memjs 1.3.2',
            conc === 1 ? 1 : 1.5,
            'cachework vs memjs',
          ),
        )
        tables.push(table)
      }
      const many = (prefix: string, op: string) => ({ ...base, op, conc: 1, shape: 'small', prefix })
      const contenders: ContenderSpec[] = [
        nodeContender('cachework getMany(100)', FILE, 'cachework', many('cw', 'getMany')),
        nodeContender('memjs: 100 sequential gets', FILE, 'memjsClient', many('mj', 'getSeq')),
        nodeContender('memjs: Promise.all of 100 gets', FILE, 'memjsClient', many('mj', 'getAll')),
        pythonContender(
          'Django PyMemcacheCache.get_many',
          DJANGO_MEMCACHED,
          { ...many('pym', 'getMany'), backend: 'PyMemcacheCache' },
          { batch: 5 },
        ),
      ]
      if (lib) {
        contenders.push(
          pythonContender(
            'Django PyLibMCCache.get_many',
            DJANGO_MEMCACHED,
            { ...many('lib', 'getMany'), backend: 'PyLibMCCache' },
            { batch: 5 },
          ),
        )
      }
      const { table: m } = await compare({
        title: `getMany of 100 keys out of ${N.toLocaleString('en-US')}`,
        unit: 'calls/s',
        contenders,
      })
      const target = lib ? 'Django PyLibMCCache.get_many' : 'Django PyMemcacheCache.get_many'
      m.notes?.unshift(
        targetNote(m.rows, 'cachework getMany(100)', target, 1.1, `getMany vs ${target}`),
        ...(lib
          ? []
          : ['python3-pylibmc missing (scripts/ensure-system.sh bench installs it): PyLibMCCache not run.']),
      )
      const agree = await ringAgreement()
      m.notes?.push(
        agree === undefined
          ? 'Ketama placement vs libmemcached: not checked (python3-pylibmc missing).'
          : `Ketama placement vs libmemcached (pylibmc ketama_weighted, 3 servers): ${agree}/300 keys on the same server.`,
        `Machine load (1/5/15 min) before the suite: ${before}; after: ${loadNow()}.`,
      )
      tables.push(m)
      return tables
    } finally {
      await server.stop()
    }
  },
}
