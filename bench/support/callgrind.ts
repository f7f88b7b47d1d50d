/**
 * Instructions per request of one bench server, counted by valgrind's callgrind: unlike
 * requests per second, the count is the same whatever else the machine is doing, so it shows
 * what each stack costs even on a busy, shared machine. The server runs under callgrind with
 * counting off (callgrind-common.ts), is warmed up, then counting is switched on for `requests`
 * requests only.
 *
 * Every autocannon run opens new connections, and Node's http code deoptimises and is compiled
 * again the first times it meets them: after one warm-up run, V8's optimising compiler was
 * 39–48 % of the counted instructions, so the table mostly counted TurboFan. Several warm-up
 * runs, each on new connections, let that settle first (TurboFan is then under 2 % of the
 * count, printed per row); the counted run opens its 8 connections like every warm-up did.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { COMPILE, callgrindArgv, dumpTotal, inclusive, windowDump } from './callgrind-common.ts'
import { announcedPort, stopChild } from './child.ts'

/** Warm-up runs, each of `WARMUP_REQUESTS` on new connections, before the counted run. */
export const WARMUP_RUNS = 3
export const WARMUP_REQUESTS = 5000
/** Counted windows, each of `COUNTED_REQUESTS` requests on new connections, after the warm-up. */
export const COUNTED_WINDOWS = 5
/** Requests in each counted window. */
export const COUNTED_REQUESTS = 2400
/** Connections of every run (warm-up and counted). */
export const CALLGRIND_CONNECTIONS = 8

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
 * One server's count: instructions per request of each counted window, and the part of all of
 * them that was TurboFan compiling.
 */
export interface RequestCount {
  perWindow: number[]
  /** TurboFan's share of the counted instructions (0–1). */
  compileShare: number
}

/**
 * Machine instructions the Node server `node [nodeArgs…]` executes per request (all its
 * threads) in each of `windows` windows of `requests` requests, after `WARMUP_RUNS` warm-up
 * runs. Each window is its own dump: counts zeroed (`callgrind_control -z`) before it and
 * dumped (`-d`) after it.
 */
export async function instructionsPerRequest(
  nodeArgs: string[],
  requests = COUNTED_REQUESTS,
  windows = COUNTED_WINDOWS,
): Promise<RequestCount> {
  const dir = mkdtempSync(join(tmpdir(), 'cachework-callgrind-'))
  const child = spawn('valgrind', callgrindArgv(dir, nodeArgs), { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    const port = await announcedPort(child, 'server under valgrind')
    const url = `http://127.0.0.1:${port}/page`
    const pid = String(child.pid)
    const control = (...args: string[]) =>
      execFileSync('callgrind_control', [...args, pid], { stdio: 'ignore' })
    // A long client timeout: under valgrind each request is ~50× slower, more on a busy machine.
    const run = (amount: number) =>
      autocannon({ url, connections: CALLGRIND_CONNECTIONS, amount, timeout: 60 })
    for (let i = 0; i < WARMUP_RUNS; i++) await run(WARMUP_REQUESTS)
    control('-i', 'on')
    const served: number[] = []
    for (let w = 0; w < windows; w++) {
      control('-z')
      const r = await run(requests)
      control('-d')
      if (r.non2xx + r.errors > 0) throw new Error(`${r.non2xx + r.errors} requests failed under valgrind`)
      served.push(r.requests.total)
    }
    control('-i', 'off')
    const perWindow: number[] = []
    let total = 0
    let compile = 0
    for (let w = 0; w < windows; w++) {
      const dump = windowDump(dir, pid, w + 1)
      const n = dumpTotal(dump)
      perWindow.push(n / (served[w] as number))
      total += n
      compile += inclusive(dump, COMPILE)
    }
    return { perWindow, compileShare: total > 0 ? compile / total : 0 }
  } finally {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
}
