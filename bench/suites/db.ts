/**
 * `npm run bench -- db`: the SQLite backend against raw better-sqlite3 prepared statements on
 * the same file settings (WAL, synchronous=NORMAL) and Django's DatabaseCache, each contender in
 * its own process (bench/contenders/storage.ts, support/rounds.ts), at 1,000 and 10,000 keys.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DJANGO_DB } from '../contenders/storage.ts'
import type { BenchSuite, Table } from '../harness.ts'
import { targetNote } from '../support/notes.ts'
import { compare, loadNow, nodeContender, pythonContender } from '../support/rounds.ts'

const FILE = fileURLToPath(new URL('../contenders/storage.ts', import.meta.url))

export const suite: BenchSuite = {
  name: 'db',
  title: 'db backend: SQLite via better-sqlite3',
  command: 'npm run bench -- db',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const tables: Table[] = []
    for (const n of [1_000, 10_000]) {
      for (const op of ['get', 'set'] as const) {
        const dir = mkdtempSync(join(tmpdir(), 'cachework-bench-db-'))
        try {
          const params = { n, op, dir }
          const { table } = await compare({
            title: `${op === 'get' ? 'get (hit)' : 'set (overwrite)'}, ${n.toLocaleString('en-US')} keys, small object, timeout 300 s`,
            contenders: [
              nodeContender('cachework db', FILE, 'cacheworkDb', params, 'async API, devalue codec'),
              nodeContender(
                'raw better-sqlite3',
                FILE,
                'rawSqlite',
                params,
                'prepared statement + JSON, sync',
              ),
              pythonContender('Django DatabaseCache', DJANGO_DB, params, { batch: 50, note: 'Python 3' }),
            ],
          })
          if (op === 'get') {
            table.notes?.unshift(
              targetNote(table.rows, 'cachework db', 'raw better-sqlite3', 0.5, 'get vs raw better-sqlite3'),
            )
          }
          tables.push(table)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    tables[0]?.notes?.push(
      'Files: WAL, synchronous=NORMAL for every contender (Django by PRAGMA in its script).',
      `Machine load (1/5/15 min) before the suite: ${before}; after: ${loadNow()}.`,
    )
    return tables
  },
}
