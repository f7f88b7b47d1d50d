// The parent side of stampede-worker.ts: start long-lived worker processes once, hand them
// jobs, wait for their answers (every wait bounded), kill one by pid.
import { type ChildProcess, spawn } from 'node:child_process'
import { supportFile, TS_NODE_ARGS } from './db-child.ts'
import type { ServeJob, StampedeJob } from './stampede-worker.ts'

/** What a worker answers for a job. */
export interface JobResult {
  id: number
  answers?: string[]
  maxWaitMs?: number
  computing?: boolean
  /** For a serve job: the site's port. */
  port?: number
  error?: string
}

let nextId = 1

/** One worker process. */
export class StampedeWorker {
  private readonly messages: JobResult[] = []
  private readonly wake = new Set<() => void>()
  private stderr = ''

  private constructor(readonly child: ChildProcess) {
    let buf = ''
    child.stdout?.on('data', (d) => {
      buf += d
      let i = buf.indexOf('\n')
      while (i >= 0) {
        this.messages.push(JSON.parse(buf.slice(0, i)))
        buf = buf.slice(i + 1)
        i = buf.indexOf('\n')
      }
      for (const w of this.wake) w()
    })
    child.stderr?.on('data', (d) => {
      this.stderr += d
    })
  }

  /** Start a worker and wait until it is ready. */
  static async start(): Promise<StampedeWorker> {
    const child = spawn(process.execPath, [...TS_NODE_ARGS, supportFile('stampede-worker.ts')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const w = new StampedeWorker(child)
    await w.next((m) => (m as { ready?: boolean }).ready === true, 60_000)
    return w
  }

  get pid(): number {
    return this.child.pid as number
  }

  /** Wait (bounded) for a message matching `match`. */
  async next(match: (m: JobResult) => boolean, ms = 30_000): Promise<JobResult> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.messages.find(match)
      if (found) {
        this.messages.splice(this.messages.indexOf(found), 1)
        if (found.error) throw new Error(`worker ${this.pid}: ${found.error}`)
        return found
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`worker ${this.pid} exited: ${this.stderr}`)
      if (Date.now() > deadline)
        throw new Error(`worker ${this.pid} did not answer in ${ms} ms: ${this.stderr}`)
      await new Promise<void>((r) => {
        this.wake.add(r)
        setTimeout(() => {
          this.wake.delete(r)
          r()
        }, 200)
      })
    }
  }

  /** Send a job; returns its id. */
  send(job: Omit<StampedeJob, 'id'> | Omit<ServeJob, 'id'>): number {
    const id = nextId++
    this.child.stdin?.write(`${JSON.stringify({ ...job, id })}\n`)
    return id
  }

  /** The final answer of job `id`. */
  result(id: number): Promise<JobResult> {
    return this.next((m) => m.id === id && m.answers !== undefined)
  }

  /** Start a site in this worker (a serve job); resolves with its port. */
  async serve(job: Omit<ServeJob, 'id' | 'serve'>): Promise<number> {
    const id = this.send({ ...job, serve: true })
    return (await this.next((m) => m.id === id && m.port !== undefined)).port as number
  }

  /** SIGKILL this worker by pid and wait for it to be gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((r) => this.child.once('close', r))
    process.kill(this.pid, 'SIGKILL')
    await gone
  }

  /** Close its caches and let it exit (SIGKILL if it does not within 5 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((r) => this.child.once('close', r))
    this.child.stdin?.write('exit\n')
    const timer = setTimeout(() => this.kill(), 5000)
    await gone
    clearTimeout(timer)
  }
}
