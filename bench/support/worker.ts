/**
 * One Node contender's process (see rounds.ts): `worker.ts <module> <export> <params JSON>`.
 * The export is a `ContenderFactory`: it builds and fills its store and returns the operation to
 * time. The worker warms it up, reports `ready` (with the heap the filled store holds), then
 * times one window per `round` command. stdout carries only the protocol: console output of the
 * contender goes to stderr.
 */
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

/** What a contender factory returns: the operation to time, and how to release its resources. */
export interface Contender {
  /** One operation; `i` counts up across rounds. May return a promise (then it is awaited). */
  op: (i: number) => unknown
  /** Operations per timer read (default 1000; fewer for slow ones). */
  batch?: number
  /** How many operations one call of `op` counts as (default 1; e.g. 64 for 64 in flight). */
  opsPerCall?: number
  close?: () => unknown
}

/** Builds and fills one contender's store from the suite's `params`. */
export type ContenderFactory = (params: Record<string, unknown>) => Contender | Promise<Contender>

const out = process.stdout
console.log = console.error
console.info = console.error

const gc = (globalThis as { gc?: () => void }).gc
function heapAfterGc(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

async function main(): Promise<void> {
  const [file, name, paramsJson] = process.argv.slice(2)
  if (!file || !name) throw new Error('usage: worker.ts <module> <export> <params JSON>')
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  const factory = mod[name] as ContenderFactory | undefined
  if (typeof factory !== 'function') throw new Error(`${file} has no contender ${name}`)
  const before = heapAfterGc()
  const c = await factory(JSON.parse(paramsJson ?? '{}') as Record<string, unknown>)
  const heapBytes = heapAfterGc() - before
  const batch = c.batch ?? 1000
  let i = 0
  const window = async (ms: number): Promise<number> => {
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < ms) {
      for (let j = 0; j < batch; j++) {
        const r = c.op(i++)
        if (r !== undefined && typeof (r as Promise<unknown>).then === 'function') await r
      }
      n += batch
    }
    return (n * (c.opsPerCall ?? 1) * 1000) / (performance.now() - t0)
  }
  await window(300)
  out.write(`${JSON.stringify({ ready: true, heapBytes, rss: process.memoryUsage().rss })}\n`)
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as { cmd: string; ms?: number }
    if (cmd.cmd !== 'round') break
    gc?.()
    out.write(`${JSON.stringify({ ops: await window(cmd.ms ?? 500) })}\n`)
  }
  await c.close?.()
  process.exit(0)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
