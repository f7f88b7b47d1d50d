// Run a TypeScript script in a child Node process that reads workspace packages from source.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The node arguments that run a `.ts` file with `@cachework/*` resolved to `src`. */
export const TS_NODE_ARGS = ['--conditions=@cachework/source', '--import', 'tsx']

/** Path of a file in this support folder. */
export function supportFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url))
}

/** Spawn `script` (a .ts file) with `args`. */
export function spawnTs(script: string, args: string[], opts: { cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [...TS_NODE_ARGS, script, ...args], {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Run `script` to completion; resolves with its exit code and output. */
export function runTs(
  script: string,
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(script, args, opts)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d) => {
      stdout += d
    })
    child.stderr?.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
