/**
 * Instructions per request of one bench server, counted by valgrind's callgrind: unlike
 * requests per second, the count is the same whatever else the machine is doing, so it shows
 * what each stack costs even on a busy, shared machine. The server runs under callgrind with
 * counting off, is warmed up (JIT), then counting is switched on for `requests` requests only.
 * V8 runs with `--predictable` (no concurrent compiler or GC threads, whose timing otherwise
 * moves the count by ±7 % from run to run); with it, repeated runs agree to within 0.1 %.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { announcedPort, stopChild } from './child.ts'

const WARMUP_REQUESTS = 4000

/** Whether valgrind (with callgrind_control) is installed. */
export function hasCallgrind(): boolean {
  try {
    execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Machine instructions the Node server `node [nodeArgs…]` executes per request (all its
 * threads), over `requests` requests.
 */
export async function instructionsPerRequest(nodeArgs: string[], requests = 2000): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cachework-callgrind-'))
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      // V8 writes and rewrites machine code at run time.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${join(dir, 'cg.%p')}`,
      process.execPath,
      '--predictable',
      ...nodeArgs,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  try {
    const port = await announcedPort(child, 'server under valgrind')
    const url = `http://127.0.0.1:${port}/page`
    const pid = String(child.pid)
    // A long client timeout: under valgrind each request is ~50× slower, more on a busy machine.
    await autocannon({ url, connections: 8, amount: WARMUP_REQUESTS, timeout: 60 })
    execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' })
    const r = await autocannon({ url, connections: 8, amount: requests, timeout: 60 })
    execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' })
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' })
    if (r.non2xx + r.errors > 0) throw new Error(`${r.non2xx + r.errors} requests failed under valgrind`)
    let total = 0
    for (const f of readdirSync(dir)) {
      const m = /^totals:\s+(\d+)/m.exec(readFileSync(join(dir, f), 'utf8'))
      if (m) total += Number(m[1])
    }
    return total / r.requests.total
  } finally {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
}
