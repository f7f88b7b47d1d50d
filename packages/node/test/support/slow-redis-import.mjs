// A module hook (node --import this file) that delays resolving the 'redis' package by
// SLOW_REDIS_IMPORT_MS (default 1500): the first-use import of a loaded machine, made certain.
import { register } from 'node:module'

const ms = Number(process.env.SLOW_REDIS_IMPORT_MS ?? 1500)
const hook = `export async function resolve(specifier, context, next) {
  if (specifier === 'redis') await new Promise((r) => setTimeout(r, ${ms}))
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`)
