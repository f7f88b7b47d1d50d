/** Small text helpers of the panel (sizes, countdowns, shortcuts). */

/** `1234` → `1.2 kB`; undefined → empty. */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** The live countdown: `never`, `expired`, `42s`, `4m 03s`, `2h 05m`, `3d 04h`. */
export function formatExpiresIn(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return 'never'
  const s = Math.floor((expiresAt - now) / 1000)
  if (s < 0) return 'expired'
  if (s < 60) return `${s}s`
  const pad = (n: number): string => String(n).padStart(2, '0')
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor(s / 3600) % 24)}h`
}

/** A parsed shortcut such as `Alt+Shift+C`. */
export interface Shortcut {
  alt: boolean
  shift: boolean
  ctrl: boolean
  meta: boolean
  code: string
}

/** Parse `Alt+Shift+C` (modifiers in any order; the last part is a letter, digit or `KeyX` code). */
export function parseShortcut(text: string): Shortcut {
  const parts = text.split('+').map((p) => p.trim().toLowerCase())
  const last = parts.pop() ?? 'c'
  const code = /^[a-z]$/.test(last) ? `Key${last.toUpperCase()}` : /^\d$/.test(last) ? `Digit${last}` : last
  return {
    alt: parts.includes('alt') || parts.includes('option'),
    shift: parts.includes('shift'),
    ctrl: parts.includes('ctrl') || parts.includes('control'),
    meta: parts.includes('meta') || parts.includes('cmd'),
    code: code.toLowerCase(),
  }
}

/** Whether a key event matches the shortcut (by `code`, so Alt's dead keys on macOS do not matter). */
export function matchesShortcut(e: KeyboardEvent, s: Shortcut): boolean {
  return (
    e.altKey === s.alt &&
    e.shiftKey === s.shift &&
    e.ctrlKey === s.ctrl &&
    e.metaKey === s.meta &&
    e.code.toLowerCase() === s.code
  )
}
