/**
 * `@cachework/devtools/security`: the devtools gates shared by the Vite plugin's server side and
 * `devtoolsEndpoint()` (`@cachework/node/devtools` imports this entry): loopback peers only, a
 * constant-time token check, the token both sides share, and the production switch. One copy,
 * so the gates cannot drift; it needs only Node's built-ins.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Whether `address` (a socket's `remoteAddress`) is loopback: 127.0.0.0/8, `::1`, or an
 * IPv4-mapped loopback (`::ffff:127.x.y.z`). No address (a Unix socket) is not.
 */
export function isLoopbackAddress(address: string | undefined | null): boolean {
  if (!address) return false
  let a = address.toLowerCase()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true
  if (a.startsWith('::ffff:')) a = a.slice(7)
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a)
  if (!m) return false
  return m.slice(1).every((p) => Number(p) <= 255) && m[1] === '127'
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

/** The environment variable that can carry the token shared by the plugin and a server. */
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

/**
 * Where `sharedToken(explicit, cwd)` takes its token from, in words, for the hint shown when
 * the Vite process and a server disagree (never the token itself).
 */
export function sharedTokenSource(explicit?: string, cwd?: string): string {
  if (explicit) return 'an explicit option (serverToken / token)'
  if (process.env[SHARED_TOKEN_ENV]) return `the ${SHARED_TOKEN_ENV} environment variable`
  return `the file ${sharedTokenPath(cwd)}`
}

/** Whether the process runs in production (`NODE_ENV=production`), where devtools refuse. */
export function isProduction(): boolean {
  return process.env.NODE_ENV === 'production'
}

/** The name the plugin's own modules use for `isLoopbackAddress`. */
export { isLoopbackAddress as isLoopback }
