#!/usr/bin/env node
// The `cachework` CLI. Runs the built CLI (dist) when present, else the TypeScript source via tsx.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
if (existsSync(dist)) {
  const { main } = await import(pathToFileURL(dist).href)
  process.exitCode = await main(process.argv.slice(2))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  const { main } = await import(new URL('../src/cli.ts', import.meta.url).href)
  process.exitCode = await main(process.argv.slice(2))
}
