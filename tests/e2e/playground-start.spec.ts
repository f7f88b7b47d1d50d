import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'

// The README's demo command: `npm start` runs `bash scripts/start.sh`, which must serve the site
// on 127.0.0.1 and print its URL. Run from this checkout (node_modules present).

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

test('scripts/start.sh serves the playground on 127.0.0.1 and prints the URL', async () => {
  test.setTimeout(150_000)
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'cachework-start-'))
  let child: ChildProcess | undefined
  try {
    child = spawn('bash', ['scripts/start.sh'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '',
        CACHEWORK_DATA_DIR: dataDir,
        CACHEWORK_MEMCACHED: '',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
    const url = `http://127.0.0.1:${port}/`
    await expect.poll(() => output, { timeout: 120_000, intervals: [250] }).toContain(url)
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('The Cachework Courier')
  } finally {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
})
