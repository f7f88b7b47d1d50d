import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheConformanceSuite } from '@cachework/core/testing'
import { DatabaseCache } from '../src/db.ts'

const dir = mkdtempSync(join(tmpdir(), 'cachework-db-'))
let n = 0

cacheConformanceSuite('db', {
  // Generous expiry windows: the machine may be loaded (a set and the next call can be far apart).
  shortTimeout: 0.5,
  expiryWaitMs: 1100,
  clock: 'fake',
  create: (o) => {
    n++
    return new DatabaseCache({
      location: `cache_${n}`,
      ...o,
      options: { database: join(dir, `conf-${n}.sqlite3`), ...o?.options },
    })
  },
  // A database file in a directory that does not exist: SQLite cannot open it.
  unreachable: (o) =>
    new DatabaseCache({
      location: 'down',
      ...o,
      options: { database: join(dir, `missing-${++n}`, 'x.sqlite3'), ...o?.options },
    }),
})
