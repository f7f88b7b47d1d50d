/**
 * Real memcached processes for the tests (real parts, not mocks): each on a free
 * loopback port, stopped (or killed on purpose) by pid. A missing binary fails the test with
 * the command that installs it; it never skips.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { freePort } from './free-port.ts'

const CANDIDATES = ['/usr/bin/memcached', '/usr/local/bin/memcached', '/usr/sbin/memcached']

/** The memcached binary, or an error saying how to install it. */
export function memcachedBinary(): string {
  const found = CANDIDATES.find((p) => existsSync(p))
  if (!found) {
    throw new Error(
      'memcached is not installed: run `apt-get install -y memcached` (or `npm test`, which installs it)',
    )
  }
  return found
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of running) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL')
})

/** One memcached process the test started. */
export class MemcachedProcess {
  private child: ChildProcess | undefined

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  /** Start memcached on a free port; `itemSize` is `-I` (e.g. '1m'), `memoryMb` is `-m` (default 64). */
  static async start(
    opts: { itemSize?: string; memoryMb?: number; port?: number } = {},
  ): Promise<MemcachedProcess> {
    const port = opts.port ?? (await freePort())
    const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', String(opts.memoryMb ?? 64)]
    if (opts.itemSize) args.push('-I', opts.itemSize)
    if (process.getuid?.() === 0) args.push('-u', 'root')
    const p = new MemcachedProcess(port, args)
    await p.restart()
    return p
  }

  /** `127.0.0.1:<port>`, a location for the cache config. */
  get location(): string {
    return `127.0.0.1:${this.port}`
  }

  /** The pid of the running process. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** (Re)start the process on the same port and wait until it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(memcachedBinary(), this.args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    this.child = child
    running.add(child)
    child.once('exit', () => running.delete(child))
    for (let i = 0; i < 250; i++) {
      if (child.exitCode !== null) throw new Error(`memcached exited with ${child.exitCode}: ${stderr}`)
      if (await canConnect(this.port)) return
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error(`memcached did not listen on ${this.port} within 5 s: ${stderr}`)
  }

  /** Kill the process by pid (SIGKILL by default) and wait for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null || child.pid === undefined) return
    const exited = new Promise((r) => child.once('exit', r))
    process.kill(child.pid, signal)
    await exited
  }

  /** Stop the process (SIGTERM). */
  stop(): Promise<void> {
    return this.kill('SIGTERM')
  }
}
