/**
 * `file`: Django's FileBasedCache (django/core/cache/backends/filebased.py). One file per key, named by the md5 of
 * the made key plus `.djcache` in a flat directory, written to a temp file and renamed into
 * place, so readers see the old or the new file, never a torn one. Values use core's codec,
 * never pickle (`file-format.ts`); the directory side (atomic writes, the count, lock files) is `file-dir.ts`. Unlike Django: `incr`/`touch`/`incrVersion` are atomic
 * across processes (a lock file), `incr` keeps the expiry, `touch` on an expired file returns
 * false (Django raises), and culling keeps a running count instead of listing the directory on
 * every set, and removes the soonest-to-expire files (Django: a random sample).
 *
 * File I/O here is synchronous, as better-sqlite3's is: a cache file is small and sits in the
 * page cache, and one thread-pool round trip costs more than the read itself (see
 * docs/backends-db-file.md). Do not point it at a network filesystem that can hang.
 */
import { linkSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import {
  type CacheInit,
  type CommonOptions,
  ImproperlyConfigured,
  KeyNotFoundError,
  registerBackend,
} from '@cachework/core'
import {
  BaseCache,
  type RawEntry,
  type StoredEntry,
  addDelta,
  configWarning,
  decodeValueBytes,
  encodeValueBytes,
  leaseToken,
} from '@cachework/core/backend'
import { encodeEntry, type FileHeader, listDir, readHeader, SUFFIX } from './file-format.ts'
import { CacheDir } from './file-dir.ts'
import { code, quietUnlink } from './file-fs.ts'
import { releaseFileLease, tryFileLease } from './file-lease.ts'

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
  /** The directory's files: atomic writes, the count, lock files (file-dir.ts). */
  private readonly files: CacheDir

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
    this.files = new CacheDir(this.dir)
  }

  // ---- helpers ----

  /**
   * The file system calls here are synchronous, so rule 15's timer could never fire before they
   * return; the only waits (for a lock file) give up on their own before `timeoutMs`.
   */
  protected override withTimeout<T>(op: Promise<T>): Promise<T> {
    return op
  }

  /** The live entry at `rawKey` (an expired file is removed and reported), with its value. */
  private live(rawKey: string): { value: unknown; expiresAt: number | null; body: Uint8Array } | undefined {
    const path = this.files.path(rawKey)
    const e = this.files.readEntry(path)
    if (e === undefined || e.rawKey !== rawKey) return undefined
    if (this.isExpired(e.expiresAt)) {
      this.files.unlink(path)
      this.noteExpired(rawKey)
      return undefined
    }
    let value: unknown
    try {
      value = decodeValueBytes(e.body)
    } catch {
      this.files.unlink(path)
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

  /** One cull at a time per directory in this process: concurrent sets wait for it, not cull again. */
  private cullOnce(): Promise<void> {
    const s = this.files.state
    s.culling ??= this.cullBeforeInsert(this.files.cullable).finally(() => {
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
    const path = this.files.path(rawKey)
    if (!this.files.hasRoom(this.maxEntries)) {
      const live = this.files.translated(() => this.liveHeader(path, rawKey)) !== undefined
      if (live && add) return false
      if (!live) await this.cullOnce()
    }
    const won = this.files.translated((): boolean | undefined => {
      if (!add) {
        this.files.replace(path, buf)
        this.files.state.count++
        return true
      }
      // `link` creates the name only if it does not exist: atomic across processes.
      const tmp = this.files.writeTemp(buf)
      try {
        linkSync(tmp, path)
        this.files.state.count++
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
      const tmp = this.files.writeTemp(buf)
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
    return this.files.locked(rawKey, Date.now() + this.timeoutMs * 0.9, fn)
  }

  /** Rule 16: an `O_EXCL` lease file beside the entry, taken over when its holder died (file-lease.ts). */
  override async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    const token = leaseToken()
    this.files.translated(() => this.files.ensureMade())
    return this.files.translated(() => tryFileLease(this.files.leasePath(rawKey), token, ttlMs))
      ? token
      : undefined
  }

  /** Remove the lease file if it is still `token`'s. */
  override async releaseLease(rawKey: string, token: string): Promise<void> {
    this.files.translated(() => releaseFileLease(this.files.leasePath(rawKey), token))
  }

  // ---- storage primitives ----

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const e = this.files.translated(() => this.live(rawKey))
    return e === undefined ? undefined : { value: e.value, expiresAt: e.expiresAt }
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    return this.files.translated(() => this.liveHeader(this.files.path(rawKey), rawKey)) !== undefined
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
      this.files.replace(path, encodeEntry(rawKey, e.body, expiresAt))
      return true
    })
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    const path = this.files.path(rawKey)
    return this.files.translated(() => {
      const live = this.liveHeader(path, rawKey) !== undefined
      this.files.unlink(path)
      return live
    })
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    return this.locked(rawKey, (path) => {
      const e = this.live(rawKey)
      if (e === undefined) throw new KeyNotFoundError(rawKey)
      const next = addDelta(e.value, delta, callerKey)
      this.files.replace(path, encodeEntry(rawKey, encodeValueBytes(next), e.expiresAt))
      return next
    })
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    return this.locked(fromRaw, (path) => {
      const e = this.live(fromRaw)
      if (e === undefined) return false
      if (fromRaw === toRaw) return true
      // One file in, one out: the count does not grow, so no cull.
      this.files.replace(this.files.path(toRaw), encodeEntry(toRaw, e.body, e.expiresAt))
      quietUnlink(path)
      return true
    })
  }

  protected async _clear(): Promise<void> {
    // Only `*.djcache` files go; the directory and anything else in it stay (Django).
    this.files.translated(() => this.files.removeAllFiles())
  }

  protected async *_entries(): AsyncIterable<RawEntry> {
    for (const name of this.files.translated(() => listDir(this.dir))) {
      if (!name.endsWith(SUFFIX)) continue
      const e = this.files.translated(() => this.files.readEntry(join(this.dir, name)))
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
