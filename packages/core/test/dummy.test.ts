import { DummyCache } from '../src/index.ts'
import { cacheConformanceSuite } from '../src/testing/index.ts'

cacheConformanceSuite('dummy', { create: (o) => new DummyCache(o), stores: false })
