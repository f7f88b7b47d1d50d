#!/usr/bin/env node
// The `cachework` CLI. In a checkout (TypeScript source and tsx present) it runs the source,
// reading workspace packages through the `@cachework/source` export condition, so no build is
// needed; otherwise (an installed package) it runs the built `dist/cli.js`.
import { existsSync } from 'node:fs'
import { register } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

async function loadSource() {
  let tsx
  try {
    tsx = await import('tsx/esm/api')
  } catch {
    return undefined
  }
  // Hooks run last-registered first: tsx resolves, then this adds the condition for Node's own
  // resolver, so `@cachework/core` resolves to its src/*.ts like in vitest and tsc.
  const hook = `export async function resolve(specifier, context, next) {
    const conditions = context.conditions.includes('@cachework/source') ? context.conditions : ['@cachework/source', ...context.conditions]
    return next(specifier, { ...context, conditions })
  }`
  register(`data:text/javascript,${encodeURIComponent(hook)}`)
  tsx.register()
  return import(pathToFileURL(source).href)
}

const cli = (existsSync(source) ? await loadSource() : undefined) ?? (await import(pathToFileURL(dist).href))
process.exitCode = await cli.main(process.argv.slice(2))
