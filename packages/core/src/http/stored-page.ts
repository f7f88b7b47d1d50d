/**
 * Whether a page read back from a cache may be served. Anyone who can write to the store
 * (a shared memcached, a cache directory) can leave any value under a page key, so a page is
 * served only when every part of it is something an HTTP/1.1 server can send: a status of
 * 200–599, a reason phrase and header values without CR, LF or NUL (RFC 9110 §5.5; node:http
 * throws `ERR_INVALID_CHAR` on them), header names that are tokens (RFC 9110 §5.1), and no
 * `Set-Cookie` (a shared entry never hands one visitor's cookie to another: docs/contract.md
 * rule 20). Anything else is a miss (docs/security.md).
 */
import { isStoredResponse, type StoredResponse } from './body.ts'

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 9110 §5.5 field-value (obs-text allowed, as node:http does); also the reason phrase.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

// Pages peeked from a backend are its own objects and never change: check each one once.
const checked = new WeakSet<object>()

/** Whether `v` is a stored page that is safe to send (see the file comment). */
export function isServablePage(v: unknown): v is StoredResponse {
  if (typeof v === 'object' && v !== null && checked.has(v)) return true
  if (!isStoredResponse(v)) return false
  if (!Number.isInteger(v.status) || v.status < 200 || v.status > 599) return false
  if (!Number.isFinite(v.storedAt)) return false
  if (typeof v.statusText !== 'string' || !FIELD_VALUE.test(v.statusText)) return false
  for (const [name, value] of v.headers) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return false
    if (name.toLowerCase() === 'set-cookie') return false
  }
  checked.add(v)
  return true
}
