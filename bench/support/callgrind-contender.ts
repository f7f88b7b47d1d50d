/**
 * Instructions per operation of one bench contender (a factory of bench/contenders/*.ts, the
 * `Contender` of worker.ts), counted by valgrind's callgrind, for deciding optimisations on a busy
 * machine where ops/s are noise:
 *
 *   node --conditions=@cachework/source --import tsx bench/support/callgrind-contender.ts \
 *     bench/contenders/redis.ts cachework '{"url":"redis://127.0.0.1:6379","n":10000,"op":"get","conc":64,"prefix":"cw"}' 150
 *
 * The contender runs under callgrind with counting off and V8's `--predictable` (no concurrent
 * threads), is warmed up (`WARM` calls, default = the counted calls), then counting is on for
 * `calls` calls only. A 256 MB young generation keeps scavenges out of the counted window, so
 * the heap grows by what the calls allocate (printed per op); TurboFan's own compiling, which
 * still happens in the window, is reported apart and left out of the "without compile" figure.
 *
 * `CG_CACHE_SIM=1` adds callgrind's cache simulation (`--cache-sim=yes`) and prints the data
 * reads and first-level / last-level data read and write misses per op (D1mr, DLmr, …): the
 * memory latency a large store pays. `CG_LL=<size>,<assoc>,<line>` sets the simulated last level
 * (valgrind's `--LL`; default the machine's L3): `CG_LL=4194304,16,64` models the 4 MB L2, whose
 * misses a working set that fits the L3 pays in steady state (with `WARM` one pass over the keys,
 * the counted calls start warm). `CG_DIST=1` loads cachework from its built `dist/` (as the
 * bench and users do) instead of its sources through tsx, whose keepNames adds a call per named
 * closure. `CG_KEEP=<file>` keeps the callgrind dump there (for `callgrind_annotate`).
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { COMPILE, callgrindArgv, dumpTotal, firstDump, GC, inclusive } from './callgrind-common.ts'
import type { Contender, ContenderFactory } from './worker.ts'

const [file, name, params, callsArg, role] = process.argv.slice(2)
if (!file || !name || !params || !callsArg) {
  throw new Error('usage: callgrind-contender.ts <contender module> <export> <params JSON> <calls>')
}
const calls = Number(callsArg)
const warm = Number(process.env.WARM ?? calls)
const cacheSim = process.env.CG_CACHE_SIM === '1'

async function runCalls(c: Contender, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const r = c.op(i)
    if (r !== undefined && typeof (r as Promise<unknown>).then === 'function') await r
  }
}

/** Under valgrind: build, warm up, then count `calls` between the parent's go and done. */
async function child(): Promise<void> {
  const mod = (await import(pathToFileURL(file as string).href)) as Record<string, ContenderFactory>
  const c = await (mod[name as string] as ContenderFactory)(JSON.parse(params as string))
  await runCalls(c, 0, warm)
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
  ;(globalThis as { gc?: () => void }).gc?.()
  process.stdout.write('ready\n')
  await lines.next()
  const h0 = process.memoryUsage().heapUsed
  await runCalls(c, warm, calls)
  process.stdout.write(`done ${process.memoryUsage().heapUsed - h0} ${c.opsPerCall ?? 1}\n`)
  await lines.next()
  await c.close?.()
  process.exit(0)
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cachework-callgrind-'))
  const self = fileURLToPath(import.meta.url)
  const argv = callgrindArgv(dir, [
    '--expose-gc',
    '--min-semi-space-size=256',
    '--max-semi-space-size=256',
    ...(process.env.CG_DIST === '1' ? [] : ['--conditions=@cachework/source']),
    '--import',
    'tsx',
    self,
    file as string,
    name as string,
    params as string,
    String(calls),
    'child',
  ])
  if (cacheSim)
    argv.splice(1, 0, '--cache-sim=yes', ...(process.env.CG_LL ? [`--LL=${process.env.CG_LL}`] : []))
  const proc = spawn('valgrind', argv, { stdio: ['pipe', 'pipe', 'inherit'] })
  const pid = String(proc.pid)
  let heap = 0
  let perCall = 1
  for await (const line of createInterface({ input: proc.stdout })) {
    if (line === 'ready') {
      execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' })
      proc.stdin.write('go\n')
    } else if (line.startsWith('done ')) {
      execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' })
      execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' })
      ;[heap, perCall] = line.slice(5).split(' ').map(Number) as [number, number]
      proc.stdin.write('exit\n')
      break
    }
  }
  await new Promise((r) => proc.on('exit', r))
  try {
    const dump = firstDump(dir)
    const total = dumpTotal(dump)
    const gc = inclusive(dump, GC)
    const compile = inclusive(dump, COMPILE)
    const ops = calls * perCall
    const per = (x: number) => Math.round(x / ops).toLocaleString('en-US')
    console.log(
      `${name}: ${per(total)} instructions/op, ${per(total - gc - compile)} without GC and compile (GC ${per(gc)}, compile ${per(compile)}), heap +${per(heap)} B/op, ${ops} ops`,
    )
    if (cacheSim) {
      const text = readFileSync(dump, 'utf8')
      const events = (/^events:\s+(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/)
      const totals = (/^totals:\s+(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/).map(Number)
      const one = (ev: string) => ((totals[events.indexOf(ev)] ?? Number.NaN) / ops).toFixed(2)
      console.log(
        `${name}: per op ${one('Dr')} data reads, D1 read misses ${one('D1mr')}, LL read misses ${one('DLmr')}, D1 write misses ${one('D1mw')}, LL write misses ${one('DLmw')} (whole window, GC and compile included)`,
      )
    }
    if (process.env.CG_KEEP) copyFileSync(dump, process.env.CG_KEEP)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await (role === 'child' ? child() : parent())
