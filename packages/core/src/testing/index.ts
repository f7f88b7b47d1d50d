/**
 * `@cachework/core/testing`: the shared conformance suite. It encodes docs/contract.md §2 rule
 * by rule with concrete values, many taken from Django's own cache tests, and every backend runs
 * it unchanged:
 *
 * ```ts
 * import { cacheConformanceSuite } from '@cachework/core/testing'
 * cacheConformanceSuite('locmem', { create: (o) => new LocMemCache({ location: uniqueName(), ...o }), clock: 'fake' })
 * ```
 *
 * One file per rule group lives beside this one; `conformanceGroups` lists them in order. To add
 * a group, write a file exporting `(ctx: SuiteContext) => void` and add it to the list.
 */
import { beforeEach, describe } from 'vitest'
import { basicRules } from './basic.ts'
import { type ConformanceOptions, createSuiteContext, type SuiteContext } from './context.ts'
import { counterRules } from './counters.ts'
import { cullingRules } from './culling.ts'
import { dummyRules } from './dummy.ts'
import { entryRules } from './entries.ts'
import { eventRules } from './events.ts'
import { failureRules } from './failures.ts'
import { getOrSetRules } from './get-or-set.ts'
import { keyPropertyRules } from './key-properties.ts'
import { keyRules } from './keys.ts'
import { lifecycleRules } from './lifecycle.ts'
import { manyRules } from './many.ts'
import { modelRules } from './model.ts'
import { stampedeRules } from './stampede.ts'
import { tagRules } from './tags.ts'
import { timeoutRules } from './timeouts.ts'
import { valuePropertyRules } from './value-properties.ts'
import { valueRules } from './values.ts'

export type { ConformanceOptions, SuiteContext } from './context.ts'
export { collect, createSuiteContext, ManualClock, sleep, uniqueKey } from './context.ts'
export { expectMissOnFailure, expectWriteUnavailable } from './failures.ts'
export { roundTripValues } from './values.ts'

/** The rule groups a storing backend runs, in order (each decides itself whether it applies). */
export const conformanceGroups: ReadonlyArray<(ctx: SuiteContext) => void> = [
  keyRules, // rules 1, 2
  timeoutRules, // rule 3
  basicRules, // rules 4, 5
  manyRules, // rule 6
  counterRules, // rules 7, 8
  getOrSetRules, // rule 9
  lifecycleRules, // rule 10
  cullingRules, // rule 11 (options.culls)
  valueRules, // rule 12
  eventRules, // rule 13
  entryRules, // rule 14
  failureRules, // rule 15 (options.unreachable)
  stampedeRules, // rule 16
  valuePropertyRules, // rule 12 as properties (fast-check)
  keyPropertyRules, // rules 1, 2, 6, 14 as properties (fast-check)
  modelRules, // rules 3-8, 10 against a reference model (fast-check)
  tagRules, // rule 17
]

/** Register the conformance suite for one backend. */
export function cacheConformanceSuite(name: string, options: ConformanceOptions): void {
  const ctx = createSuiteContext(name, options)
  describe(`${name}: cache conformance (docs/contract.md §2)`, () => {
    beforeEach(() => ctx.startTest())
    if (!(options.stores ?? true)) {
      dummyRules(ctx)
      return
    }
    for (const group of conformanceGroups) group(ctx)
  })
}
