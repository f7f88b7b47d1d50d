/**
 * One process of a stampede contender (bench/suites/stampede.ts):
 * `stampede-child.ts <module> <export> <params JSON>`. The export builds a `Stampeder`
 * (bench/contenders/stampede.ts). The child speaks JSON lines: it answers `{"ready":true}` once
 * connected, then for each command on stdin
 * - `{"cmd":"warm","key","mode","freshSeconds","factoryMs"}` stores the key → `{"ok":true}`;
 * - `{"cmd":"go","key","mode","at","callers","factoryMs","settleMs"}` waits until the epoch ms
 *   `at` (every process of the contender gets the same one), starts `callers` concurrent calls of
 *   the key at once, and answers `{"runs","waits"}`: how many times the factory ran in this
 *   process (counted `settleMs` after the last caller got its value, so a background refresh is
 *   counted too) and each caller's wait in ms, from its call to its value;
 * - `{"cmd":"exit"}` closes the contender and exits.
 * stdout carries only the protocol: console output of the contender goes to stderr.
 */
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import type { StampedeMode, StampedeParams, Stampeder } from '../contenders/stampede.ts'

const out = process.stdout
console.log = console.error
console.info = console.error
console.warn = console.error

interface Command {
  cmd: 'warm' | 'go' | 'exit'
  key: string
  mode: StampedeMode
  at: number
  callers: number
  factoryMs: number
  settleMs: number
  freshSeconds: number
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)))

async function main(): Promise<void> {
  const [file, name, paramsJson] = process.argv.slice(2)
  if (!file || !name) throw new Error('usage: stampede-child.ts <module> <export> <params JSON>')
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  const make = mod[name] as ((p: StampedeParams) => Promise<Stampeder>) | undefined
  if (typeof make !== 'function') throw new Error(`${file} has no contender ${name}`)
  const s = await make(JSON.parse(paramsJson ?? '{}') as StampedeParams)
  out.write(`${JSON.stringify({ ready: true })}\n`)
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line) as Command
    if (c.cmd === 'exit') break
    let runs = 0
    const factory = async () => {
      runs++
      await sleep(c.factoryMs)
      return `value of ${c.key} from pid ${process.pid}`
    }
    if (c.cmd === 'warm') {
      if (!s.warm) throw new Error(`${name} cannot warm a key`)
      await s.warm(c.key, factory, c.mode, c.freshSeconds)
      out.write(`${JSON.stringify({ ok: true })}\n`)
      continue
    }
    await sleep(c.at - Date.now())
    const waits = await Promise.all(
      Array.from({ length: c.callers }, async () => {
        const t0 = performance.now()
        const v = await s.call(c.key, factory, c.mode)
        if (typeof v !== 'string') throw new Error(`${name}: got ${String(v)} for ${c.key}`)
        return performance.now() - t0
      }),
    )
    await sleep(c.settleMs)
    out.write(`${JSON.stringify({ runs, waits })}\n`)
  }
  await s.close()
  process.exit(0)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
