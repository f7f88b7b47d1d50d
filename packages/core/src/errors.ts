/**
 * Error classes with stable `code`s (docs/contract.md §2, "Errors"). Django's hierarchy is kept where it
 * means something: `InvalidCacheBackendError` is an `ImproperlyConfigured`.
 */

/** Base class of every cachework error; `code` is stable across releases. */
export class CacheError extends Error {
  /** Stable machine-readable code, e.g. `'ERR_CACHE_IMPROPERLY_CONFIGURED'`. */
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The caches configuration is wrong; the message names the alias and the field. */
export class ImproperlyConfigured extends CacheError {
  constructor(message: string, code = 'ERR_CACHE_IMPROPERLY_CONFIGURED') {
    super(code, message)
  }
}

/** An alias that is not configured, or a backend name that is not registered. */
export class InvalidCacheBackendError extends ImproperlyConfigured {
  constructor(message: string) {
    super(message, 'ERR_CACHE_INVALID_BACKEND')
  }
}

/** A key the backend cannot take (memcached: too long in bytes, or control characters). */
export class InvalidCacheKey extends CacheError {
  constructor(message: string) {
    super('ERR_CACHE_INVALID_KEY', message)
  }
}

/** `incr`/`decr`/`incrVersion`/`decrVersion` on a key that is missing or expired. */
export class KeyNotFoundError extends CacheError {
  /** The key as the caller gave it. */
  readonly key: string
  constructor(key: string) {
    super('ERR_CACHE_KEY_NOT_FOUND', `Key '${key}' not found`)
    this.key = key
  }
}

/** The backend's storage cannot be reached (server down, disk full, quota exceeded, timeout). */
export class CacheUnavailableError extends CacheError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CACHE_UNAVAILABLE', message, options)
  }
}

/** The `name` of the warning emitted for keys memcached could not take (docs/contract.md rule 2). */
export const CACHE_KEY_WARNING = 'CacheKeyWarning'
