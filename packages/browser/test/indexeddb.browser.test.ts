import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import { IndexedDBCache } from '../src/indexeddb.ts'

// API.md §2 over a real IndexedDB in headless Chromium, a fresh database per cache.
cacheConformanceSuite('indexeddb', {
  create: (o) => new IndexedDBCache({ location: uniqueKey('idb'), ...o }),
  cullOrder: 'lru',
})
