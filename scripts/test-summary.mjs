// Prints one closing line for the whole test command, "cachework: N passed, N failed", from the
// JSON reports vitest and Playwright wrote (scripts/test.sh), so CI sees one total.
import { readFileSync } from 'node:fs'

const dir = process.argv[2] ?? '.cache/test-summary'
const read = (f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))
const v = read('vitest.json')
const p = read('playwright.json')
const passed = v.numPassedTests + p.stats.expected + p.stats.flaky
const failed = v.numFailedTests + p.stats.unexpected
console.log(
  `vitest: ${v.numPassedTests} passed, ${v.numFailedTests} failed; playwright: ${p.stats.expected + p.stats.flaky} passed, ${p.stats.unexpected} failed`,
)
console.log(`cachework: ${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 && passed > 0 ? 0 : 1
