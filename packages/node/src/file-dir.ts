/**
 * The directory side of the `file` backend (file.ts): one flat directory of `.djcache` files
 * shared by every instance on it in this process; atomic writes (a temp file renamed or linked
 * into place, so readers see the old or the new file, never a torn one); the running count
 * culling relies on (docs/contract.md rule 11) and the sweep of temp files left by killed
 * writers; per-key lock files; and the translation of "storage unusable" errors into
 * `CacheUnavailableError` (rule 15). It knows file names and bytes, not values or expiry rules.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CacheUnavailableError } from '@cachework/core'
import type { CullableStore } from '@cachework/core/backend'
import { decodeEntry, type FileHeader, fileNameFor, listDir, readHeaders, SUFFIX } from './file-format.ts'
import { code, quietUnlink } from './file-fs.ts'
import { queuedFileLock } from './file-lock.ts'

/** What every instance on one directory in this process shares. */
export interface DirState {
  /** Upper bound of the `.djcache` files as this process knows it; -1: not counted yet. */
  count: number
  countedAt: number
  made: boolean
  /** The cull in progress, if any. */
  culling?: Promise<void> | undefined
  /** Locked operations per file, chained so this process queues instead of polling the lock. */
  queues: Map<string, Promise<unknown>>
}

const dirs = new Map<string, DirState>()
// Another process may have written meanwhile: a count older than this is re-read before a cull.
const COUNT_TTL_MS = 1000
// Temp files of a writer killed between write and rename are removed after this long.
const TEMP_MAX_AGE_MS = 60_000
const TEMP_SUFFIX = '.djtmp'
const UNAVAILABLE = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'EIO',
  'EMFILE',
  'ENFILE',
  'ENOTDIR',
])
let tempSeq = 0

/** One cache's view of its directory (the count and queues are shared per directory). */
export class CacheDir {
  readonly state: DirState
  /** The store `cullBeforeInsert` works on (rule 11): soonest-to-expire files go first. */
  readonly cullable: CullableStore
  private culled: Array<FileHeader & { name: string }> = []

  /** `dir` is absolute. */
  constructor(readonly dir: string) {
    let st = dirs.get(dir)
    if (!st) {
      st = { count: -1, countedAt: 0, made: false, queues: new Map() }
      dirs.set(dir, st)
    }
    this.state = st
    this.cullable = {
      size: () => this.translated(() => this.recount()),
      removeExpired: (now, onRemoved) => {
        const all = this.translated(() => readHeaders(this.dir))
        this.culled = []
        let n = 0
        for (const h of all) {
          if (h.expiresAt !== null && h.expiresAt <= now) {
            if (quietUnlink(join(this.dir, h.name))) n++
            onRemoved?.(h.rawKey)
          } else this.culled.push(h)
        }
        this.state.count -= n
        return n
      },
      removeSome: (n, onRemoved) => {
        // Soonest to expire first; never-expiring files last (rule 11).
        const order = this.culled.sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity))
        let removed = 0
        for (const h of order.slice(0, n)) {
          if (quietUnlink(join(this.dir, h.name))) removed++
          onRemoved?.(h.rawKey)
        }
        this.state.count -= removed
        return removed
      },
      removeAll: () => this.translated(() => this.removeAllFiles()),
    }
  }

  /** Run sync fs work, turning "storage unusable" errors into `CacheUnavailableError` (rule 15). */
  translated<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      const c = code(e)
      if (c !== undefined && UNAVAILABLE.has(c)) {
        throw new CacheUnavailableError(
          `File cache directory '${this.dir}' is unavailable (${c}: ${(e as Error).message}); check its permissions and free disk space`,
          { cause: e },
        )
      }
      throw e
    }
  }

  /** The file of a made key. */
  path(rawKey: string): string {
    return join(this.dir, fileNameFor(rawKey))
  }

  /** The lease file beside a key's file (file-lease.ts). */
  leasePath(rawKey: string): string {
    return `${this.path(rawKey).slice(0, -SUFFIX.length)}.djlease`
  }

  /** Create the directory (mode 0700) unless this process already did. */
  ensureMade(): void {
    if (!this.state.made) this.makeDir()
  }

  private makeDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    this.state.made = true
  }

  /**
   * Write `buf` to a new temp file in the directory (same filesystem, so rename is atomic). The
   * name carries 8 random bytes besides the PID: two containers on one volume can share a PID,
   * and a writer killed before its rename leaves its name behind (`wx` would then fail).
   */
  writeTemp(buf: Uint8Array): string {
    this.ensureMade()
    const tmp = join(
      this.dir,
      `tmp-${process.pid}-${(tempSeq++).toString(36)}-${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`,
    )
    try {
      writeFileSync(tmp, buf, { mode: 0o600, flag: 'wx' })
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e
      this.makeDir() // the directory was removed under us: Django re-creates it on every set
      writeFileSync(tmp, buf, { mode: 0o600, flag: 'wx' })
    }
    return tmp
  }

  /** Atomically replace `path` with `buf`. */
  replace(path: string, buf: Uint8Array): void {
    const tmp = this.writeTemp(buf)
    try {
      renameSync(tmp, path)
    } catch (e) {
      quietUnlink(tmp)
      throw e
    }
  }

  /** Read a whole entry; undefined when missing. A corrupt file is removed and reads as missing. */
  readEntry(path: string): ReturnType<typeof decodeEntry> {
    let buf: Buffer
    try {
      buf = readFileSync(path)
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined
      throw e
    }
    const entry = decodeEntry(buf)
    if (entry === undefined && quietUnlink(path)) this.state.count--
    return entry
  }

  /** Remove a key's file, keeping the count. */
  unlink(path: string): void {
    if (quietUnlink(path)) this.state.count--
  }

  /** One `readdir`: the real count. Also sweeps temp files left by killed writers. */
  private recount(): number {
    let n = 0
    const now = Date.now()
    for (const name of listDir(this.dir)) {
      if (name.endsWith(SUFFIX)) n++
      else if (name.endsWith(TEMP_SUFFIX)) {
        const p = join(this.dir, name)
        try {
          if (now - statSync(p).mtimeMs > TEMP_MAX_AGE_MS) quietUnlink(p)
        } catch {
          // Renamed or removed meanwhile.
        }
      }
    }
    this.state.count = n
    this.state.countedAt = now
    return n
  }

  /** Remove every `.djcache` file (the directory and anything else in it stay, as in Django). */
  removeAllFiles(): number {
    let n = 0
    for (const name of listDir(this.dir)) if (name.endsWith(SUFFIX) && quietUnlink(join(this.dir, name))) n++
    this.state.count = 0
    this.state.countedAt = Date.now()
    return n
  }

  /** Whether the recent count says one more file fits under `maxEntries` without a cull. */
  hasRoom(maxEntries: number): boolean {
    const s = this.state
    return s.count >= 0 && s.count < maxEntries && Date.now() - s.countedAt < COUNT_TTL_MS
  }

  /** Run a read-modify-write on one key under its lock file, giving up at `deadline` (epoch ms). */
  locked<T>(rawKey: string, deadline: number, fn: (path: string) => T): Promise<T> {
    const path = this.path(rawKey)
    if (!this.state.made) this.translated(() => this.makeDir()) // the lock file goes in it
    return queuedFileLock(this.state.queues, `${path.slice(0, -SUFFIX.length)}.djlock`, deadline, () =>
      this.translated(() => fn(path)),
    )
  }
}
