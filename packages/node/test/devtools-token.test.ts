/**
 * C2: a devtools endpoint whose token file cannot be written answers 503 with what to do,
 * instead of throwing from the request handler (which ended the process).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { devtoolsEndpoint } from '../src/devtools-endpoint.ts'
import { rawRequest } from './http-support.ts'

const saved = process.env.CACHEWORK_DEVTOOLS_TOKEN
afterEach(() => {
  if (saved === undefined) delete process.env.CACHEWORK_DEVTOOLS_TOKEN
  else process.env.CACHEWORK_DEVTOOLS_TOKEN = saved
})

describe('devtools token file unwritable', () => {
  it('answers 503 naming the fix, and keeps answering', async () => {
    delete process.env.CACHEWORK_DEVTOOLS_TOKEN
    const dir = mkdtempSync(join(tmpdir(), 'cw-token-'))
    // node_modules is a regular file: the token directory can never be created.
    writeFileSync(join(dir, 'node_modules'), 'not a directory')
    const server = createServer(devtoolsEndpoint({ cwd: dir, caches: () => [] }))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      for (let i = 0; i < 2; i++) {
        const r = await rawRequest(`http://127.0.0.1:${port}/__cachework/list`, { 'x-cachework-token': 'x' })
        expect(r.status).toBe(503)
        expect(r.body).toContain('CACHEWORK_DEVTOOLS_TOKEN')
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})
