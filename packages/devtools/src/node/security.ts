/**
 * The three gates every server side of devtools passes (API.md §6): development only,
 * loopback only, the right token only. `@cachework/node`'s `devtoolsEndpoint` applies the
 * same rules in its own copy (that package does not depend on this one).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Whether `address` (a socket's `remoteAddress`) is loopback: IPv4 127.0.0.0/8, IPv6 `::1`,
 * or an IPv4-mapped loopback (`::ffff:127.x.y.z`). Anything else, and no address, is not.
 */
export function isLoopback(address: string | undefined | null): boolean {
  if (!address) return false
  let a = address.toLowerCase()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true
  if (a.startsWith('::ffff:')) a = a.slice(7)
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a)
  if (!m) return false
  const parts = m.slice(1).map(Number)
  return parts.every((p) => p <= 255) && parts[0] === 127
}

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokensEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given === '' || expected === '') return false
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** A fresh random token (32 bytes, base64url). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Where the token shared by the Vite plugin and a separate Node server is kept. */
export const SHARED_TOKEN_ENV = 'CACHEWORK_DEVTOOLS_TOKEN'

/** The shared-token file under `cwd`: `node_modules/.cache/cachework/devtools-token`. */
export function sharedTokenPath(cwd: string = process.cwd()): string {
  return join(cwd, 'node_modules', '.cache', 'cachework', 'devtools-token')
}

/**
 * The secret the Vite plugin and `devtoolsEndpoint()` share: `explicit`, else the
 * `CACHEWORK_DEVTOOLS_TOKEN` environment variable, else the token file under the project
 * (created with mode 0600 by whichever side starts first).
 */
export function sharedToken(explicit?: string, cwd?: string): string {
  if (explicit) return explicit
  const env = process.env[SHARED_TOKEN_ENV]
  if (env) return env
  const file = sharedTokenPath(cwd)
  try {
    const t = readFileSync(file, 'utf8').trim()
    if (t) return t
  } catch {
    // Missing: create it below.
  }
  mkdirSync(dirname(file), { recursive: true })
  const t = randomToken()
  try {
    writeFileSync(file, t, { flag: 'wx', mode: 0o600 })
    return t
  } catch {
    // The other process created it first: use theirs.
    return readFileSync(file, 'utf8').trim()
  }
}

/** Whether the process runs in production (`NODE_ENV=production`), where devtools refuse. */
export function isProduction(): boolean {
  return process.env.NODE_ENV === 'production'
}
