/**
 * Child processes of the benches: bench servers that print `{"port":N}` once listening, and
 * contenders that speak JSON lines on stdin/stdout (`LineChild`).
 */
import type { ChildProcess } from 'node:child_process'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'

/** The port a bench server prints as its first stdout line (`{"port":N}`); rejects if it exits first. */
export function announcedPort(child: ChildProcess, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve((JSON.parse(buf.slice(0, nl)) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)))
  })
}

/** SIGTERM `child` and wait for it to exit (at once if it already has). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/**
 * Listen on a free loopback port, print `{"port":N}` (what `announcedPort` reads) and close
 * cleanly on SIGTERM: the tail of every bench server process.
 */
export function listenAndAnnounce(server: Server): void {
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
  })
  process.on('SIGTERM', () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
}

/**
 * A child process that answers JSON lines on stdout (one object a line; lines that are not JSON
 * are the child's own output and ignored) and takes JSON commands on stdin. `stop` sends
 * `{"cmd":"exit"}`, then SIGKILLs after 5 s.
 */
export class LineChild<Reply = Record<string, unknown>> {
  private readonly queue: Array<(v: Reply) => void> = []
  private readonly pending: Reply[] = []
  private exited: Error | undefined

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let msg: Reply
      try {
        msg = JSON.parse(line) as Reply
      } catch {
        return // a contender that prints its own lines: not ours
      }
      const waiter = this.queue.shift()
      if (waiter) waiter(msg)
      else this.pending.push(msg)
    })
    proc.once('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? code})`)
    })
  }

  /** The next line the child prints; rejects if it exits first or after `timeoutMs`. */
  next(timeoutMs: number): Promise<Reply> {
    const got = this.pending.shift()
    if (got) return Promise.resolve(got)
    if (this.exited) return Promise.reject(this.exited)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: no answer in ${timeoutMs} ms`)), timeoutMs)
      const onExit = () => reject(this.exited ?? new Error(`${this.name} exited`))
      this.proc.once('exit', onExit)
      this.queue.push((v) => {
        clearTimeout(t)
        this.proc.off('exit', onExit)
        resolve(v)
      })
    })
  }

  /** Write one command line to the child's stdin. */
  send(cmd: Record<string, unknown>): void {
    this.proc.stdin?.write(`${JSON.stringify(cmd)}\n`)
  }

  /** `send`, then the next line. */
  ask(cmd: Record<string, unknown>, timeoutMs = 60_000): Promise<Reply> {
    this.send(cmd)
    return this.next(timeoutMs)
  }

  /** Ask the child to exit (SIGKILL after 5 s) and wait until it has. */
  stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000)
      this.proc.once('exit', () => {
        clearTimeout(t)
        resolve()
      })
      this.send({ cmd: 'exit' })
      this.proc.stdin?.end()
    })
  }
}
