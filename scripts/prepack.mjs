// `prepack` of every published package: a clean `dist/` (JS, .d.ts, source maps) built by
// `tsc -b` from the package's own tsconfig, so a tarball never ships stale or missing files.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

rmSync('dist', { recursive: true, force: true })
rmSync('tsconfig.tsbuildinfo', { force: true })
// The workspace's own TypeScript (a clean clone has it after `npm install`).
const tsc = fileURLToPath(new URL('../node_modules/.bin/tsc', import.meta.url))
execFileSync(tsc, ['-b'], { stdio: 'inherit', shell: process.platform === 'win32' })
