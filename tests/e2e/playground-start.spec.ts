import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { freePort } from '../../packages/node/test/support/free-port.ts'

// The README's demo command: `npm start` runs `bash scripts/start.sh`, which must serve the site
// on 127.0.0.1 and print its URL. Run from this checkout (node_modules present).

/** Run `bash scripts/start.sh` (detached: its own process group) and wait for it to print its URL. */
async function startScript(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort()
  const child = spawn('bash', ['scripts/start.sh'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { ...process.env, ...env, PORT: String(port), HOST: '' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const url = `http://127.0.0.1:${port}/`
  await expect.poll(() => output, { timeout: 120_000, intervals: [250] }).toContain(url)
  return { child, url }
}

/** Stop a detached child and everything it started (its process group). */
function stop(child: ChildProcess | undefined): void {
  if (!child?.pid) return
  try {
    process.kill(-child.pid, 'SIGTERM')
  } catch {
    // Already gone.
  }
}

/** memcached's `stats` as a map, over a raw socket. */
function memcachedStats(port: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let text = ''
    sock.on('data', (d) => {
      text += d.toString()
      if (text.endsWith('END\r\n')) {
        sock.end()
        const stats: Record<string, string> = {}
        for (const m of text.matchAll(/^STAT (\S+) (\S+)\r$/gm)) stats[m[1] as string] = m[2] as string
        resolve(stats)
      }
    })
    sock.on('error', reject)
    sock.write('stats\r\n')
  })
}

test('scripts/start.sh serves the playground on 127.0.0.1 and prints the URL', async () => {
  test.setTimeout(150_000)
  const dataDir = mkdtempSync(join(tmpdir(), 'cachework-start-'))
  let child: ChildProcess | undefined
  try {
    const started = await startScript({ CACHEWORK_DATA_DIR: dataDir, CACHEWORK_MEMCACHED: '' })
    child = started.child
    const res = await fetch(started.url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('The Cachework Courier')
  } finally {
    stop(child)
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('with CACHEWORK_MEMCACHED the page cache lives on memcached', async () => {
  test.setTimeout(150_000)
  if (spawnSync('memcached', ['-h'], { stdio: 'ignore' }).error) {
    throw new Error(
      'memcached is not installed: run `apt-get install -y memcached` (as root), or `npm test`, which installs it',
    )
  }
  const mcPort = await freePort()
  const memcached = spawn('memcached', ['-l', '127.0.0.1', '-p', String(mcPort), '-U', '0', '-u', 'root'], {
    stdio: 'ignore',
  })
  const dataDir = mkdtempSync(join(tmpdir(), 'cachework-start-'))
  let child: ChildProcess | undefined
  try {
    const started = await startScript({
      CACHEWORK_DATA_DIR: dataDir,
      CACHEWORK_MEMCACHED: `127.0.0.1:${mcPort}`,
    })
    child = started.child
    const article = `${started.url}articles/memcached-turns-20`
    expect((await fetch(article)).headers.get('x-cache')).toBe('miss')
    const hit = await fetch(article)
    expect(hit.headers.get('x-cache')).toBe('hit')
    expect(hit.headers.get('age')).toMatch(/^\d+$/)
    const stats = await memcachedStats(mcPort)
    expect(Number(stats.curr_items)).toBeGreaterThanOrEqual(2) // the page and its header list
    expect(Number(stats.get_hits)).toBeGreaterThanOrEqual(1)
  } finally {
    stop(child)
    memcached.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
  }
})
