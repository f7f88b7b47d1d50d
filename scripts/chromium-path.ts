import { existsSync } from 'node:fs'

/**
 * Debian's Chromium (never a downloaded browser). `CHROMIUM_PATH` overrides. Throws with the
 * install command when it is missing, so a browser test fails instead of skipping.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  )
  const found = candidates.find((p) => existsSync(p))
  if (!found) {
    throw new Error(
      'Chromium is not installed. Install it with `apt-get install -y chromium` (as root), or run `npm test`, which installs it.',
    )
  }
  return found
}

/**
 * Flags for headless Chromium on these machines: no sandbox (root), and none of the background
 * connections that a machine without internet refuses (env notes on Chromium).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Launch options for Debian's Chromium: `{ executablePath, args }` for Playwright. */
export function chromiumLaunchOptions(): { executablePath: string; args: string[] } {
  return { executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] }
}
