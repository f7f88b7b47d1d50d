/**
 * The public HTTP caching test suite (cache-tests, npm `http-cache-tests`) with its
 * command-line client, the runner behind the published proxy results: `cacheMiddleware` in front
 * of a pass-through to the suite's origin, in shared mode (RFC 9111) and in Django mode (the
 * default), beside the origin alone. Results are held to
 * `tests/fixtures/cache-tests/expected/cli-<mode>.json`: a test that passed before fails this
 * test when it also fails run again alone, with the diff printed. Counts: docs/http.md.
 */
import { LocMemCache } from '@cachework/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runCli, startProxy } from '../../../tests/fixtures/cache-tests/proxy.ts'
import {
  compareWithExpected,
  countResults,
  formatCounts,
  loadTests,
  publishedResults,
  regressionsOf,
  type Running,
  type SuiteResult,
  type SuiteTest,
  startSuiteOrigin,
} from '../../../tests/fixtures/cache-tests/suite.ts'
import { cacheMiddleware } from '../src/index.ts'

let origin: Running
let tests: SuiteTest[]
const running: Running[] = []

beforeAll(async () => {
  origin = await startSuiteOrigin()
  tests = await loadTests('cli')
})
afterAll(async () => {
  for (const r of running) await r.close()
  await origin?.close()
})

/** A cache (its own locmem store, large enough for the whole suite) in front of the origin. */
async function proxy(mode: 'django' | 'shared'): Promise<Running> {
  const alias = new LocMemCache({ location: `cache-tests-${mode}`, options: { maxEntries: 100_000 } })
  const p = await startProxy(origin.url, (h) => cacheMiddleware({ alias, mode })(h))
  running.push(p)
  return p
}

/** Run the suite against `base`; tests that regressed are run once more, alone. */
async function run(name: string, base: string): Promise<Record<string, SuiteResult>> {
  const results = await runCli(base)
  const again = regressionsOf(name, tests, results)
  return again.length ? { ...results, ...(await runCli(base, again)) } : results
}

it('cache-tests CLI suite: cacheMiddleware in shared mode and in Django mode', {
  timeout: 240_000,
}, async () => {
  const [shared, django] = await Promise.all([proxy('shared'), proxy('django')])
  const [none, sh, dj] = await Promise.all([
    run('cli-none', origin.url),
    run('cli-shared', shared.url),
    run('cli-django', django.url),
  ])
  const lines = [
    `no cache:      ${formatCounts(countResults(tests, none))}`,
    `shared mode:   ${formatCounts(countResults(tests, sh))}`,
    `Django mode:   ${formatCounts(countResults(tests, dj))}`,
  ]
  for (const name of ['squid', 'apache', 'trafficserver', 'varnish', 'nginx', 'nuster', 'fastly']) {
    lines.push(`${`${name}:`.padEnd(15)}${formatCounts(countResults(tests, publishedResults(name)))}`)
  }
  console.log(`cache-tests (cli)\n${lines.join('\n')}`)
  compareWithExpected('cli-none', tests, none)
  const sharedDiff = compareWithExpected('cli-shared', tests, sh)
  const djangoDiff = compareWithExpected('cli-django', tests, dj)
  for (const d of [sharedDiff, djangoDiff]) if (d.report) console.log(d.report)
  expect(sharedDiff.regressions, sharedDiff.report).toEqual([])
  expect(djangoDiff.regressions, djangoDiff.report).toEqual([])
})
