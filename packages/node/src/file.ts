/**
 * `file`: Django's FileBasedCache (django/core/cache/backends/filebased.py). One file per key, named by the md5 of
 * the made key plus `.djcache` in a flat directory, written to a temp file and renamed into
 * place, so readers see the old or the new file, never a torn one. Values use core's codec,
 * never pickle (`file-format.ts`). Unlike Django: `incr`/`touch`/`incrVersion` are atomic
 * across processes (a lock file), `incr` keeps the expiry, `touch` on an expired file returns
 * false (Django raises), and culling keeps a running count instead of listing the directory on
 * every set, and removes the soonest-to-expire files (Django: a random sample).
 *
 * File I/O here is synchronous, as better-sqlite3's is: a cache file is small and sits in the
 * page cache, and one thread-pool round trip costs more than the read itself (see
 * docs/backends-db-file.md). Do not point it at a network filesystem that can hang.
 */
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import {
  type CacheInit,
  type CommonOptions,
  CacheUnavailableError,
  ImproperlyConfigured,
  KeyNotFoundError,
  registerBackend,
} from '@cachework/core'
import {
  BaseCache,
  type CullableStore,
  type RawEntry,
  type StoredEntry,
  addDelta,
  configWarning,
  decodeValueBytes,
  encodeValueBytes,
  leaseToken,
} from '@cachework/core/backend'
import {
  decodeEntry,
  encodeEntry,
  type FileHeader,
  fileNameFor,
  listDir,
  readHeader,
  readHeaders,
  SUFFIX,
} from './file-format.ts'
import { releaseFileLease, tryFileLease } from './file-lease.ts'
import { queuedFileLock } from './file-lock.ts'

/** What every instance on one directory in this process shares. */
interface DirState {
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

function code(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code
}

function quietUnlink(path: string): boolean {
  try {
    unlinkSync(path)
    return true
  } catch {
    return false
  }
}

/**
 * The file-system backend (`file`). `location` is the directory (created with mode 0700 on
 * first write; a relative path is resolved against the working directory, with a warning, as
 * Django's check W003). Culls with `maxEntries` (300) and `cullFrequency` (3).
 */
export class FileBasedCache extends BaseCache {
  static override readonly backendName: string = 'file'
  protected override readonly usesIO = true
  /** The absolute directory. */
  readonly dir: string
  private readonly state: DirState
  private culled: Array<FileHeader & { name: string }> = []
  private readonly cullable: CullableStore

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const loc = this.location
    if (typeof loc !== 'string' || loc === '') {
      throw new ImproperlyConfigured(
        `CACHES['${alias}'].location must be the cache directory (a non-empty string)`,
      )
    }
    if (!isAbsolute(loc)) {
      configWarning(
        `CACHES['${alias}'].location '${loc}' is relative; using '${resolve(loc)}'. Use an absolute path (Django check W003)`,
      )
    }
    this.dir = resolve(loc)
    let st = dirs.get(this.dir)
    if (!st) {
      st = { count: -1, countedAt: 0, made: false, queues: new Map() }
      dirs.set(this.dir, st)
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

  // ---- helpers ----

  /** Run sync fs work, turning "storage unusable" errors into `CacheUnavailableError` (rule 15). */
  private translated<T>(fn: () => T): T {
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

  /**
   * The file system calls here are synchronous, so rule 15's timer could never fire before they
   * return; the only waits (for a lock file) give up on their own before `timeoutMs`.
   */
  protected override withTimeout<T>(op: Promise<T>): Promise<T> {
    return op
  }

  private path(rawKey: string): string {
    return join(this.dir, fileNameFor(rawKey))
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
  private writeTemp(buf: Uint8Array): string {
    if (!this.state.made) this.makeDir()
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
  private replace(path: string, buf: Uint8Array): void {
    const tmp = this.writeTemp(buf)
    try {
      renameSync(tmp, path)
    } catch (e) {
      quietUnlink(tmp)
      throw e
    }
  }

  /** Read a whole entry; undefined when missing. A corrupt file is removed and reads as missing. */
  private readEntry(path: string): ReturnType<typeof decodeEntry> {
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

  /** The live entry at `rawKey` (an expired file is removed and reported), with its value. */
  private live(rawKey: string): { value: unknown; expiresAt: number | null; body: Uint8Array } | undefined {
    const path = this.path(rawKey)
    const e = this.readEntry(path)
    if (e === undefined || e.rawKey !== rawKey) return undefined
    if (this.isExpired(e.expiresAt)) {
      if (quietUnlink(path)) this.state.count--
      this.noteExpired(rawKey)
      return undefined
    }
    let value: unknown
    try {
      value = decodeValueBytes(e.body)
    } catch {
      if (quietUnlink(path)) this.state.count--
      return undefined
    }
    return { value, expiresAt: e.expiresAt, body: e.body }
  }

  private liveHeader(path: string, rawKey: string): FileHeader | undefined {
    let h: FileHeader | undefined
    try {
      h = readHeader(path)
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined
      throw e
    }
    return h && h.rawKey === rawKey && !this.isExpired(h.expiresAt) ? h : undefined
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

  private removeAllFiles(): number {
    let n = 0
    for (const name of listDir(this.dir)) if (name.endsWith(SUFFIX) && quietUnlink(join(this.dir, name))) n++
    this.state.count = 0
    this.state.countedAt = Date.now()
    return n
  }

  private hasRoom(): boolean {
    const s = this.state
    return s.count >= 0 && s.count < this.maxEntries && Date.now() - s.countedAt < COUNT_TTL_MS
  }

  /** One cull at a time per directory in this process: concurrent sets wait for it, not cull again. */
  private cullOnce(): Promise<void> {
    const s = this.state
    s.culling ??= this.cullBeforeInsert(this.cullable).finally(() => {
      s.culling = undefined
    })
    return s.culling
  }

  /** Store, culling first when the key is new and the count says full; `add` stores only if not live. */
  private async store(
    rawKey: string,
    value: unknown,
    expiresAt: number | null,
    add: boolean,
  ): Promise<boolean> {
    const buf = encodeEntry(rawKey, encodeValueBytes(value), expiresAt)
    const path = this.path(rawKey)
    if (!this.hasRoom()) {
      const live = this.translated(() => this.liveHeader(path, rawKey)) !== undefined
      if (live && add) return false
      if (!live) await this.cullOnce()
    }
    const won = this.translated((): boolean | undefined => {
      if (!add) {
        this.replace(path, buf)
        this.state.count++
        return true
      }
      // `link` creates the name only if it does not exist: atomic across processes.
      const tmp = this.writeTemp(buf)
      try {
        linkSync(tmp, path)
        this.state.count++
        return true
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e
        // A live entry: add loses at once. Otherwise the file must be replaced, under the lock.
        return this.liveHeader(path, rawKey) !== undefined ? false : undefined
      } finally {
        quietUnlink(tmp)
      }
    })
    return won ?? this.takeOverExpired(rawKey, buf)
  }

  /**
   * `add` over an expired (or foreign, or corrupt) file: replacing it must have one winner when
   * several processes race (Django's `add` is check-then-set, so several can win). Under the
   * key's lock file the file is checked again, removed, and the new one linked in; a racer that
   * links between our unlink and our link wins instead, and we answer false.
   */
  private takeOverExpired(rawKey: string, buf: Uint8Array): Promise<boolean> {
    return this.locked(rawKey, (path) => {
      if (this.liveHeader(path, rawKey) !== undefined) return false
      const tmp = this.writeTemp(buf)
      try {
        quietUnlink(path)
        linkSync(tmp, path)
        return true
      } catch (e) {
        if (code(e) === 'EEXIST') return false
        throw e
      } finally {
        quietUnlink(tmp)
      }
    })
  }

  /** Run a read-modify-write on one key under its lock file, before `timeoutMs` runs out. */
  private locked<T>(rawKey: string, fn: (path: string) => T): Promise<T> {
    const path = this.path(rawKey)
    const deadline = Date.now() + this.timeoutMs * 0.9
    if (!this.state.made) this.translated(() => this.makeDir()) // the lock file goes in it
    return queuedFileLock(this.state.queues, `${path.slice(0, -SUFFIX.length)}.djlock`, deadline, () =>
      this.translated(() => fn(path)),
    )
  }

  /** Rule 16: an `O_EXCL` lease file beside the entry, taken over when its holder died (file-lease.ts). */
  override async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    const token = leaseToken()
    if (!this.state.made) this.translated(() => this.makeDir())
    return this.translated(() => tryFileLease(this.leasePath(rawKey), token, ttlMs)) ? token : undefined
  }

  /** Remove the lease file if it is still `token`'s. */
  override async releaseLease(rawKey: string, token: string): Promise<void> {
    this.translated(() => releaseFileLease(this.leasePath(rawKey), token))
  }

  private leasePath(rawKey: string): string {
    return `${this.path(rawKey).slice(0, -SUFFIX.length)}.djlease`
  }

  // ---- storage primitives ----

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const e = this.translated(() => this.live(rawKey))
    return e === undefined ? undefined : { value: e.value, expiresAt: e.expiresAt }
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    return this.translated(() => this.liveHeader(this.path(rawKey), rawKey)) !== undefined
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    return this.store(rawKey, value, expiresAt, false)
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    return this.store(rawKey, value, expiresAt, true)
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    // Django raises here for an expired file (django/core/cache/backends/filebased.py bug); we answer false.
    return this.locked(rawKey, (path) => {
      const e = this.live(rawKey)
      if (e === undefined) return false
      this.replace(path, encodeEntry(rawKey, e.body, expiresAt))
      return true
    })
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    const path = this.path(rawKey)
    return this.translated(() => {
      const live = this.liveHeader(path, rawKey) !== undefined
      if (quietUnlink(path)) this.state.count--
      return live
    })
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    return this.locked(rawKey, (path) => {
      const e = this.live(rawKey)
      if (e === undefined) throw new KeyNotFoundError(rawKey)
      const next = addDelta(e.value, delta, callerKey)
      this.replace(path, encodeEntry(rawKey, encodeValueBytes(next), e.expiresAt))
      return next
    })
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    return this.locked(fromRaw, (path) => {
      const e = this.live(fromRaw)
      if (e === undefined) return false
      if (fromRaw === toRaw) return true
      // One file in, one out: the count does not grow, so no cull.
      this.replace(this.path(toRaw), encodeEntry(toRaw, e.body, e.expiresAt))
      quietUnlink(path)
      return true
    })
  }

  protected async _clear(): Promise<void> {
    // Only `*.djcache` files go; the directory and anything else in it stay (Django).
    this.translated(() => this.removeAllFiles())
  }

  protected async *_entries(): AsyncIterable<RawEntry> {
    for (const name of this.translated(() => listDir(this.dir))) {
      if (!name.endsWith(SUFFIX)) continue
      const e = this.translated(() => this.readEntry(join(this.dir, name)))
      if (e === undefined || this.isExpired(e.expiresAt)) continue
      let value: unknown
      try {
        value = decodeValueBytes(e.body)
      } catch {
        continue
      }
      yield { rawKey: e.rawKey, expiresAt: e.expiresAt, size: e.body.length, value }
    }
  }
}

registerBackend('file', FileBasedCache)

/** `file` options: the common ones (`maxEntries`, `cullFrequency`, `timeoutMs`, `ignoreErrors`, `clock`). */
export type FileOptions = CommonOptions

// The names this entry registers, with their options, for `configureCaches`' types.
declare module '@cachework/core' {
  interface CacheBackends {
    file: FileOptions
    'django.core.cache.backends.filebased.FileBasedCache': FileOptions
  }
}
