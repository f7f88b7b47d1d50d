/**
 * `@cachework/browser`: the `indexeddb` and `localforage` backends and the page-side helper that
 * registers the service-worker response cache. Importing this entry registers both backends.
 */
export * from './indexeddb.ts'
export * from './localforage.ts'
export * from './register.ts'
