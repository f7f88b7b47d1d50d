/**
 * `npm run bench -- file`: the file backend against the least a file cache can do (read a file
 * and decode it; write a temp file and rename it into place) and Django's FileBasedCache, each
 * contender in its own process (bench/contenders/storage.ts, support/rounds.ts), at 1,000 and
 * 10,000 keys.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DJANGO_FILE } from '../contenders/storage.ts'
import type { BenchSuite, Table } from '../harness.ts'
import { targetNote } from '../support/notes.ts'
import { compare, loadNow, nodeContender, pythonContender } from '../support/rounds.ts'

const FILE = fileURLToPath(new URL('../contenders/storage.ts', import.meta.url))

export const suite: BenchSuite = {
  name: 'file',
  title: 'file backend',
  command: 'npm run bench -- file',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const tables: Table[] = []
    for (const n of [1_000, 10_000]) {
      for (const op of ['get', 'set'] as const) {
        const dir = mkdtempSync(join(tmpdir(), 'cachework-bench-file-'))
        try {
          const params = { n, op, dir }
          const { table } = await compare({
            title: `${op === 'get' ? 'get (hit)' : 'set (overwrite)'}, ${n.toLocaleString('en-US')} keys, small object, timeout 300 s`,
            contenders: [
              nodeContender(
                'cachework file',
                FILE,
                'cacheworkFile',
                params,
                'async API, CRC-checked devalue',
              ),
              nodeContender('raw readFile / write+rename', FILE, 'rawFiles', params, 'JSON, sync fs'),
              pythonContender('Django FileBasedCache', DJANGO_FILE, params, { batch: 20, note: 'Python 3' }),
            ],
          })
          if (op === 'get') {
            table.notes?.unshift(
              targetNote(
                table.rows,
                'cachework file',
                'Django FileBasedCache',
                1.1,
                'get vs Django FileBasedCache',
              ),
            )
          }
          tables.push(table)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    tables[0]?.notes?.push(
      'All under the OS temp directory; files stay in the page cache, so these measure syscalls and codecs, not the disk.',
      "Django's set globs the whole directory on every call (its _cull), so its set slows as the cache grows.",
      `Machine load (1/5/15 min) before the suite: ${before}; after: ${loadNow()}.`,
    )
    return tables
  },
}
