/**
 * What the two callgrind counters (callgrind.ts for the http suite's servers,
 * callgrind-contender.ts for one bench contender) share: the valgrind command line that runs
 * Node with counting off until `callgrind_control -i on`, and reading the counts back.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * `valgrind … node --predictable [nodeArgs…]`, writing its dumps into `outDir`. Counting starts
 * off (`--instr-atstart=no`); V8 writes and rewrites machine code at run time
 * (`--smc-check=all-non-file`); `--predictable` keeps V8's compiler and GC on the main thread
 * (their concurrent threads' timing otherwise moves the count by ±7 % from run to run).
 */
export function callgrindArgv(outDir: string, nodeArgs: readonly string[]): string[] {
  return [
    '--tool=callgrind',
    '--instr-atstart=no',
    '--smc-check=all-non-file',
    `--callgrind-out-file=${join(outDir, 'cg.%p')}`,
    process.execPath,
    '--predictable',
    ...nodeArgs,
  ]
}

/** The instructions counted in the dump `file` (its `totals:` line). */
export function dumpTotal(file: string): number {
  const m = /^totals:\s+(\d+)/m.exec(readFileSync(file, 'utf8'))
  return m ? Number(m[1]) : 0
}

/** The dump `callgrind_control -d` wrote into `outDir` (the first one: `cg.<pid>.1`). */
export function firstDump(outDir: string): string {
  const dump = readdirSync(outDir).find((f) => f.endsWith('.1'))
  if (!dump) throw new Error('no callgrind dump')
  return join(outDir, dump)
}

/** The `n`-th dump (from 1) `callgrind_control -d` wrote for process `pid` into `outDir`. */
export function windowDump(outDir: string, pid: string, n: number): string {
  const dump = join(outDir, `cg.${pid}.${n}`)
  if (!existsSync(dump)) throw new Error(`no callgrind dump ${n}`)
  return dump
}

/** Inclusive instructions of the functions in dump `file` whose names match `re` (first match each). */
export function inclusive(file: string, re: RegExp): number {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  })
  const seen = new Set<string>()
  let sum = 0
  for (const line of text.split('\n')) {
    const m = re.exec(line)
    if (!m || seen.has(m[1] as string) || line.includes("'2")) continue
    seen.add(m[1] as string)
    sum += Number(line.trim().split(' ')[0]?.replace(/,/g, ''))
  }
  return sum
}

/** TurboFan's own compiling (with `--predictable` it runs inside these runtime calls). */
export const COMPILE = /(Runtime_CompileOptimized|Runtime_CompileOSR)/

/** Garbage collection. */
export const GC = /(Heap::CollectGarbage\()/
