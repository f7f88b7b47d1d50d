import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheConformanceSuite } from '@cachework/core/testing'
import { FileBasedCache } from '../src/file.ts'

const root = mkdtempSync(join(tmpdir(), 'cachework-file-'))
let n = 0

cacheConformanceSuite('file', {
  create: (o) => new FileBasedCache({ location: join(root, `c${++n}`), ...o }),
})
