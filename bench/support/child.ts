/** Child processes of the benches: bench servers that print `{"port":N}` once listening. */
import type { ChildProcess } from 'node:child_process'

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
