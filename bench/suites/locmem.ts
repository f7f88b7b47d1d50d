/**
 * `npm run bench -- locmem`: the locmem backend against in-memory peers (issue 2), side by side
 * in one process: lru-cache, keyv (in-memory Map), cache-manager (memory store as shipped),
 * node-cache and a bare Map.
 */
import { LocMemCache } from '@cachework/core'
import { createCache } from 'cache-manager'
import { Keyv } from 'keyv'
import { LRUCache } from 'lru-cache'
import NodeCache from 'node-cache'
import { type BenchSuite, measure, type Row, type Table } from '../harness.ts'
import { keys, N, value } from '../support/fixtures.ts'
import { targetNote } from '../support/notes.ts'

const missKeys = Array.from({ length: N }, (_, i) => `missing:${i}`)

let uniq = 0
const locmem = (options: Record<string, unknown> = {}) =>
  new LocMemCache({
    location: `bench-${++uniq}`,
    timeout: null,
    options: { maxEntries: 1_000_000, ...options },
  })

/** One fresh instance of every contender of the get/set tables (the same settings in each). */
function contenders() {
  return {
    c: locmem(),
    shared: locmem({ isolate: false }),
    lru: new LRUCache<string, object>({ max: 10_000 }),
    kv: new Keyv(),
    cm: createCache(),
    nc: new NodeCache({ stdTTL: 0, checkperiod: 0 }),
    map: new Map<string, object>(),
  }
}

async function getHit(): Promise<Table> {
  const { c, shared, lru, kv, cm, nc, map } = contenders()
  for (let i = 0; i < N; i++) {
    const k = keys[i] as string
    await c.set(k, value(i))
    await shared.set(k, value(i))
    lru.set(k, value(i))
    await kv.set(k, value(i))
    await cm.set(k, value(i))
    nc.set(k, value(i))
    map.set(k, value(i))
  }
  const t: Table = {
    title: 'get (hit), 1,000 keys, small object values',
    rows: [
      {
        name: 'cachework locmem',
        opsPerSec: await measure((i) => c.get(keys[i % N] as string)),
        note: 'isolated copy',
      },
      {
        name: 'cachework locmem isolate:false',
        opsPerSec: await measure((i) => shared.get(keys[i % N] as string)),
        note: 'shares references (unsafe)',
      },
      { name: 'node-cache', opsPerSec: await measure((i) => nc.get(keys[i % N] as string)), note: 'clones' },
      {
        name: 'cache-manager',
        opsPerSec: await measure((i) => cm.get(keys[i % N] as string)),
        note: 'as shipped',
      },
      { name: 'keyv', opsPerSec: await measure((i) => kv.get(keys[i % N] as string)), note: 'as shipped' },
      {
        name: 'lru-cache',
        opsPerSec: await measure((i) => lru.get(keys[i % N] as string)),
        note: 'references, sync',
      },
      {
        name: 'Map',
        opsPerSec: await measure((i) => map.get(keys[i % N] as string)),
        note: 'references, sync',
      },
    ],
  }
  t.notes = [
    targetNote(
      t.rows,
      'cachework locmem',
      'node-cache',
      2,
      'locmem (isolated) vs node-cache, the fastest copying peer',
    ),
    targetNote(
      t.rows,
      'cachework locmem isolate:false',
      'cache-manager',
      2,
      'locmem isolate:false vs cache-manager as shipped',
    ),
  ]
  return t
}

async function getMiss(): Promise<Table> {
  const { c, lru, kv, cm, nc, map } = contenders()
  return {
    title: 'get (miss)',
    rows: [
      { name: 'cachework locmem', opsPerSec: await measure((i) => c.get(missKeys[i % N] as string)) },
      { name: 'node-cache', opsPerSec: await measure((i) => nc.get(missKeys[i % N] as string)) },
      { name: 'cache-manager', opsPerSec: await measure((i) => cm.get(missKeys[i % N] as string)) },
      { name: 'keyv', opsPerSec: await measure((i) => kv.get(missKeys[i % N] as string)) },
      { name: 'lru-cache', opsPerSec: await measure((i) => lru.get(missKeys[i % N] as string)) },
      { name: 'Map', opsPerSec: await measure((i) => map.get(missKeys[i % N] as string)) },
    ],
  }
}

async function set(): Promise<Table> {
  const { c, shared, lru, kv, cm, nc, map } = contenders()
  const v = value(1)
  return {
    title: 'set (1,000 keys, overwriting)',
    rows: [
      { name: 'cachework locmem', opsPerSec: await measure((i) => c.set(keys[i % N] as string, v)) },
      {
        name: 'cachework locmem isolate:false',
        opsPerSec: await measure((i) => shared.set(keys[i % N] as string, v)),
      },
      { name: 'node-cache', opsPerSec: await measure((i) => nc.set(keys[i % N] as string, v)) },
      { name: 'cache-manager', opsPerSec: await measure((i) => cm.set(keys[i % N] as string, v)) },
      { name: 'keyv', opsPerSec: await measure((i) => kv.set(keys[i % N] as string, v)) },
      { name: 'lru-cache', opsPerSec: await measure((i) => lru.set(keys[i % N] as string, v)) },
      { name: 'Map', opsPerSec: await measure((i) => map.set(keys[i % N] as string, v)) },
    ],
  }
}

/** A bare Map with FIFO eviction through a long-lived iterator: the floor for a bounded store. */
function boundedMap(max: number) {
  const m = new Map<string, unknown>()
  let it = m.keys()
  return (k: string, v: unknown) => {
    if (!m.has(k) && m.size >= max) {
      let r = it.next()
      if (r.done) {
        it = m.keys()
        r = it.next()
      }
      m.delete(r.value as string)
    }
    m.set(k, v)
  }
}

async function setCulling(max: number, distinct: number, ms = 1500): Promise<Row[]> {
  const ks = Array.from({ length: distinct }, (_, i) => `cull:${i}`)
  const c = locmem({ maxEntries: max, cullFrequency: 3 })
  const lru = new LRUCache<string, object>({ max })
  const put = boundedMap(max)
  const v = value(1)
  const opts = { ms, batch: 1000 }
  return [
    { name: 'cachework locmem', opsPerSec: await measure((i) => c.set(ks[i % distinct] as string, v), opts) },
    { name: 'lru-cache', opsPerSec: await measure((i) => lru.set(ks[i % distinct] as string, v), opts) },
    { name: 'Map (FIFO)', opsPerSec: await measure((i) => put(ks[i % distinct] as string, v), opts) },
  ]
}

async function getMany(): Promise<Table> {
  const { c, lru, kv, cm, nc } = contenders()
  for (let i = 0; i < N; i++) {
    const k = keys[i] as string
    await c.set(k, value(i))
    lru.set(k, value(i))
    await kv.set(k, value(i))
    await cm.set(k, value(i))
    nc.set(k, value(i))
  }
  const batches = Array.from({ length: 10 }, (_, b) => keys.slice(b * 100, b * 100 + 100))
  const opts = { batch: 20 }
  return {
    title: 'getMany of 100 keys (batches/s)',
    unit: 'batches/s',
    rows: [
      {
        name: 'cachework locmem',
        opsPerSec: await measure((i) => c.getMany(batches[i % 10] as string[]), opts),
      },
      {
        name: 'node-cache mget',
        opsPerSec: await measure((i) => nc.mget(batches[i % 10] as string[]), opts),
      },
      {
        name: 'cache-manager mget',
        opsPerSec: await measure((i) => cm.mget(batches[i % 10] as string[]), opts),
      },
      {
        name: 'keyv getMany',
        opsPerSec: await measure((i) => kv.getMany(batches[i % 10] as string[]), opts),
      },
      {
        name: 'lru-cache (100 gets)',
        opsPerSec: await measure((i) => {
          for (const k of batches[i % 10] as string[]) lru.get(k)
        }, opts),
      },
    ],
  }
}

export const suite: BenchSuite = {
  name: 'locmem',
  title: 'locmem vs in-memory peers',
  command: 'npm run bench -- locmem',
  async run() {
    const tables = [await getHit(), await getMiss(), await set()]
    tables.push({
      title: 'set while culling: maxEntries 10,000, 100,000 distinct keys',
      rows: await setCulling(10_000, 100_000),
      notes: [
        'node-cache (maxKeys throws instead of evicting), keyv and cache-manager (no bound as shipped) cannot cull.',
      ],
    })
    tables.push(await getMany())
    const small = await setCulling(1_000, 10_000)
    const large = await setCulling(1_000_000, 3_000_000, 4000)
    const rows: Row[] = []
    const notes: string[] = []
    for (const r of small) {
      const big = large.find((x) => x.name === r.name)
      if (!big) continue
      const growth = r.opsPerSec / big.opsPerSec
      rows.push({ name: `${r.name} at 1,000`, opsPerSec: r.opsPerSec })
      rows.push({
        name: `${r.name} at 1,000,000`,
        opsPerSec: big.opsPerSec,
        note: `cost per op ×${growth.toFixed(2)}`,
      })
      notes.push(
        `${r.name}: per-operation cost grows ×${growth.toFixed(2)} from maxEntries 1,000 to 1,000,000`,
      )
    }
    const g = (n: string) =>
      (small.find((x) => x.name === n)?.opsPerSec ?? 0) / (large.find((x) => x.name === n)?.opsPerSec ?? 1)
    const ours = g('cachework locmem')
    const theirs = g('lru-cache')
    notes.push(
      `target: locmem's growth (×${ours.toFixed(2)}) no more than lru-cache's (×${theirs.toFixed(2)}) — ${ours <= theirs * 1.1 ? 'met' : 'MISSED'} (10% measurement slack)`,
    )
    tables.push({
      title: 'set-while-culling cost: maxEntries 1,000 vs 1,000,000 (10× / 3× distinct keys)',
      rows,
      notes,
    })
    return tables
  },
}
