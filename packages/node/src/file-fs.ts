/**
 * Small file-system helpers the `file` backend's modules share (file.ts, file-dir.ts,
 * file-format.ts, file-lock.ts, file-lease.ts): a system error's code, a quiet unlink, an
 * exclusive create (`O_EXCL`, atomic on local filesystems), and whether the process that wrote a
 * lock or lease on this host is gone.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'

/** This machine's name, written into lock and lease files. */
export const host = hostname()

/** The `code` of a Node system error. */
export function code(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code
}

/** Remove a file; say whether this call removed it. */
export function quietUnlink(path: string): boolean {
  try {
    unlinkSync(path)
    return true
  } catch {
    return false
  }
}

/** Create `path` holding `content` only if it does not exist (mode 0600); `false` when it did. */
export function createExclusive(path: string, content: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (e) {
    if (code(e) === 'EEXIST') return false
    throw e
  }
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return true
}

/** Whether process `pid` of host `owner` is known to be gone: only answerable on this host (`kill(pid, 0)` → `ESRCH`). */
export function goneOnThisHost(pid: number, owner: string): boolean {
  if (owner !== host) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (e) {
    return code(e) === 'ESRCH'
  }
}
