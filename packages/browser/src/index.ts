/**
 * `@cachework/browser`: the `indexeddb` and `localforage` backends and the page-side helper that
 * registers the service-worker response cache. Importing this entry registers both backends.
 */
export { IndexedDBCache, type IndexedDBOptions } from './indexeddb.ts'
export { LocalForageCache, type LocalForageOptions } from './localforage.ts'
export {
  type RegisterOptions,
  registerResponseCache,
  type ResponseCacheHandle,
  ServiceWorkerUnavailableError,
} from './register.ts'
