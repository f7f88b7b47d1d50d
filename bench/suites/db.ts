/**
 * `npm run bench -- db`: the SQLite backend (issue 3) against raw better-sqlite3 prepared
 * statements on the same file settings (WAL, synchronous=NORMAL), @keyv/sqlite, and Django's
 * DatabaseCache (Debian python3-django via /usr/bin/python3, timing its own loop on its own
 * SQLite file and printing ops/s as JSON).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { DatabaseCache } from '../../packages/node/src/db.ts'
import { type BenchSuite, measure, type Row, type Table } from '../harness.ts'
import { djangoDatabaseCache } from '../support/django-loop.ts'
import { keys, N, value } from '../support/fixtures.ts'
import { loadNote, targetNote } from '../support/notes.ts'

interface KeyvLike {
  get(k: string): Promise<unknown>
  set(k: string, v: unknown): Promise<unknown>
  disconnect?(): Promise<void>
}

// @keyv/sqlite is optional: a checkout without it (or without its native sqlite3) skips the row.
async function keyvSqlite(file: string): Promise<KeyvLike | undefined> {
  try {
    const { Keyv } = await import('keyv')
    const { default: KeyvSqlite } = (await import('@keyv/sqlite' as string)) as {
      default: new (uri: string) => unknown
    }
    const kv = new Keyv({ store: new KeyvSqlite(`sqlite://${file}`) as never }) as unknown as KeyvLike
    await kv.set('probe', 1)
    return kv
  } catch {
    return undefined
  }
}

function rawSqlite(file: string, expiresIndex: boolean) {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(
    'CREATE TABLE IF NOT EXISTS raw (cache_key varchar(255) NOT NULL PRIMARY KEY, value text NOT NULL, expires integer NOT NULL)',
  )
  if (expiresIndex) db.exec('CREATE INDEX IF NOT EXISTS raw_expires ON raw (expires)')
  const get = db.prepare<[string], { value: string; expires: number }>(
    'SELECT value, expires FROM raw WHERE cache_key = ?',
  )
  const put = db.prepare<[string, string, number]>(
    'INSERT INTO raw (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
  )
  return {
    db,
    // The least a cache must do: look up, check the expiry, decode.
    get: (k: string) => {
      const r = get.get(k)
      return r && r.expires > Date.now() ? JSON.parse(r.value) : undefined
    },
    set: (k: string, v: unknown) => put.run(k, JSON.stringify(v), Date.now() + 300_000),
  }
}

export const suite: BenchSuite = {
  name: 'db',
  title: 'db backend: SQLite via better-sqlite3 (issue 3)',
  command: 'npm run bench -- db',
  async run(): Promise<Table[]> {
    const dir = mkdtempSync(join(tmpdir(), 'cachework-bench-db-'))
    try {
      const c = new DatabaseCache({
        location: 'bench_cache',
        timeout: null,
        options: { database: join(dir, 'cachework.sqlite3'), maxEntries: 1_000_000 },
      })
      const raw = rawSqlite(join(dir, 'raw.sqlite3'), false)
      const rawIdx = rawSqlite(join(dir, 'raw-idx.sqlite3'), true)
      const kv = await keyvSqlite(join(dir, 'keyv.sqlite3'))
      for (let i = 0; i < N; i++) {
        const k = keys[i] as string
        await c.set(k, value(i))
        raw.set(k, value(i))
        rawIdx.set(k, value(i))
        await kv?.set(k, value(i))
      }
      const py = await djangoDatabaseCache(join(dir, 'django.sqlite3'))
      const tables: Table[] = []
      for (const op of ['get', 'set'] as const) {
        const rows: Row[] = [
          {
            name: 'cachework db',
            opsPerSec: await measure((i) =>
              op === 'get' ? c.get(keys[i % N] as string) : c.set(keys[i % N] as string, value(i)),
            ),
            note: 'async API, devalue codec',
          },
          {
            name: 'raw better-sqlite3',
            opsPerSec: await measure((i) =>
              op === 'get' ? raw.get(keys[i % N] as string) : raw.set(keys[i % N] as string, value(i)),
            ),
            note: 'prepared statement + JSON, sync',
          },
          {
            name: 'raw better-sqlite3 + expires index',
            opsPerSec: await measure((i) =>
              op === 'get' ? rawIdx.get(keys[i % N] as string) : rawIdx.set(keys[i % N] as string, value(i)),
            ),
            note: 'same, with the index culling needs',
          },
        ]
        if (kv) {
          rows.push({
            name: '@keyv/sqlite',
            opsPerSec: await measure((i) =>
              op === 'get' ? kv.get(keys[i % N] as string) : kv.set(keys[i % N] as string, value(i)),
            ),
            note: 'node-sqlite3 (async), default settings',
          })
        }
        if (py) rows.push({ name: 'Django DatabaseCache', opsPerSec: py[op], note: 'Python 3, Django 3.2' })
        const t: Table = {
          title: `${op === 'get' ? 'get (hit)' : 'set (overwrite)'}, 1,000 keys, small object values`,
          rows,
          notes: [
            targetNote(rows, 'cachework db', 'raw better-sqlite3', 0.5, 'vs raw prepared statements'),
            targetNote(
              rows,
              'cachework db',
              'raw better-sqlite3 + expires index',
              0.5,
              'vs raw on the same table shape (with the expires index)',
            ),
          ],
        }
        tables.push(t)
      }
      const notes = tables[1]?.notes ?? []
      notes.push(
        'Files: WAL, synchronous=NORMAL for cachework, raw and Django (set by PRAGMA in its script); @keyv/sqlite with its defaults.',
        kv
          ? '@keyv/sqlite 4.0.8 (engines: node >= 18) installed as a root devDependency.'
          : '@keyv/sqlite row skipped: the package (or its native sqlite3) is not installed.',
        py
          ? 'Django rows: one Python process timing its own loop.'
          : 'Django row skipped: /usr/bin/python3 with Django not found.',
        loadNote(),
        'The gap to bare raw on set is mostly the expires index (one more B-tree per write), which culling soonest-to-expire first (rule 11) needs; WITHOUT ROWID was tried and rejected: 5–10× slower gets for 10 KB values.',
        'cachework set with maxEntries 1,000,000: no culls in the loop (a cull is one DELETE through the expires index).',
      )
      await c.close()
      raw.db.close()
      rawIdx.db.close()
      await kv?.disconnect?.()
      return tables
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
