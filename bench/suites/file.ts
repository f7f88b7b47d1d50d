/**
 * `npm run bench -- file`: the file backend (issue 3) against the least a file cache can do
 * (read a file and decode it; write a temp file and rename it into place) and Django's
 * FileBasedCache (Debian python3-django via /usr/bin/python3, timing its own loop in its own
 * directory and printing ops/s as JSON).
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileBasedCache } from '../../packages/node/src/file.ts'
import { type BenchSuite, measure, type Row, type Table } from '../harness.ts'
import { djangoFileBasedCache } from '../support/django-loop.ts'
import { keys, N, value } from '../support/fixtures.ts'
import { loadNote, targetNote } from '../support/notes.ts'

// The least a safe file cache does: JSON, one file per key, atomic temp-and-rename writes.
function rawFiles(dir: string) {
  mkdirSync(dir, { recursive: true })
  let seq = 0
  return {
    get: (k: string) => JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as unknown,
    set: (k: string, v: unknown) => {
      const tmp = join(dir, `tmp-${seq++}`)
      writeFileSync(tmp, JSON.stringify(v), { mode: 0o600, flag: 'wx' })
      renameSync(tmp, join(dir, `${k}.json`))
    },
  }
}

export const suite: BenchSuite = {
  name: 'file',
  title: 'file backend (issue 3)',
  command: 'npm run bench -- file',
  async run(): Promise<Table[]> {
    const root = mkdtempSync(join(tmpdir(), 'cachework-bench-file-'))
    try {
      const big = 1_000_000
      const c = new FileBasedCache({
        location: join(root, 'cachework'),
        timeout: null,
        options: { maxEntries: big },
      })
      const culling = new FileBasedCache({ location: join(root, 'culling'), timeout: null })
      const raw = rawFiles(join(root, 'raw'))
      for (let i = 0; i < N; i++) {
        const k = keys[i] as string
        await c.set(k, value(i))
        await culling.set(k, value(i))
        raw.set(k.replace(':', '_'), value(i))
      }
      const py = await djangoFileBasedCache(join(root, 'django'), big)
      const pyCull = await djangoFileBasedCache(join(root, 'django-cull'), 300)
      const tables: Table[] = []
      for (const op of ['get', 'set'] as const) {
        const rows: Row[] = [
          {
            name: 'cachework file',
            opsPerSec: await measure(
              (i) => (op === 'get' ? c.get(keys[i % N] as string) : c.set(keys[i % N] as string, value(i))),
              { batch: 100 },
            ),
            note: 'async API, CRC-checked devalue',
          },
          {
            name: 'raw readFile / write+rename',
            opsPerSec: await measure(
              (i) => {
                const k = (keys[i % N] as string).replace(':', '_')
                return op === 'get' ? raw.get(k) : raw.set(k, value(i))
              },
              { batch: 100 },
            ),
            note: 'JSON, sync fs',
          },
        ]
        if (py) rows.push({ name: 'Django FileBasedCache', opsPerSec: py[op], note: 'Python 3, Django 3.2' })
        if (op === 'set') {
          rows.push({
            name: 'cachework file, maxEntries 300',
            opsPerSec: await measure((i) => culling.set(keys[i % N] as string, value(i)), { batch: 100 }),
            note: '1,000 keys: culls every ~100 sets',
          })
          if (pyCull) {
            rows.push({
              name: 'Django FileBasedCache, MAX_ENTRIES 300',
              opsPerSec: pyCull.set,
              note: 'globs the directory on every set',
            })
          }
        }
        const notes =
          op === 'set'
            ? [
                targetNote(
                  rows,
                  'cachework file',
                  'raw readFile / write+rename',
                  0.5,
                  'set vs raw write+rename',
                ),
              ]
            : py
              ? [
                  targetNote(
                    rows,
                    'cachework file',
                    'Django FileBasedCache',
                    1,
                    'get vs Django FileBasedCache',
                  ),
                ]
              : []
        tables.push({
          title: `${op === 'get' ? 'get (hit)' : 'set (overwrite)'}, 1,000 keys, small object values`,
          rows,
          notes,
        })
      }
      tables[1]?.notes?.push(
        py
          ? 'Django rows: one Python process timing its own loop.'
          : 'Django rows skipped: /usr/bin/python3 with Django not found.',
        loadNote(),
        'All under the OS temp directory (ext4 here); files stay in the page cache, so these measure syscalls and codecs, not the disk.',
        'The maxEntries-300 row is likely faster because after each cull most sets create a file instead of renaming over an existing one.',
      )
      return tables
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  },
}
