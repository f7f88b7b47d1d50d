import { LocMemCache } from '../src/index.ts'
import { cacheConformanceSuite, uniqueKey } from '../src/testing/index.ts'

// docs/contract.md §5: locmem from core works unchanged in the page.
cacheConformanceSuite('locmem (browser)', {
  create: (o) => new LocMemCache({ location: uniqueKey('store'), ...o }),
  cullOrder: 'lru',
  clock: 'fake',
})
