import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheConformanceSuite } from '@cachework/core/testing'
import { FileBasedCache } from '../src/file.ts'

const root = mkdtempSync(join(tmpdir(), 'cachework-file-'))
let n = 0

cacheConformanceSuite('file', {
  // Generous expiry windows: the machine may be loaded.
  shortTimeout: 0.5,
  expiryWaitMs: 1100,
  clock: 'fake',
  create: (o) => new FileBasedCache({ location: join(root, `c${++n}`), ...o }),
  // A cache directory under a regular file: every file system call fails with ENOTDIR.
  unreachable: (o) => {
    const notDir = join(root, `file-${++n}`)
    writeFileSync(notDir, 'x')
    return new FileBasedCache({ location: join(notDir, 'sub'), ...o })
  },
})
