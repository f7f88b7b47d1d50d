import { cacheConformanceSuite, uniqueKey } from '@cachework/core/testing'
import localforage from 'localforage'
import { LocalForageCache } from '../src/localforage.ts'

// API.md §2 over localForage in headless Chromium: its default driver (IndexedDB) and the
// localStorage driver, which cannot structured-clone; a fresh localForage name per cache.
cacheConformanceSuite('localforage', {
  create: (o) => new LocalForageCache({ location: uniqueKey('lf'), ...o }),
})

cacheConformanceSuite('localforage (localStorage driver)', {
  create: (o) =>
    new LocalForageCache({
      location: uniqueKey('lfls'),
      ...o,
      options: { driver: localforage.LOCALSTORAGE, ...o?.options },
    }),
})
