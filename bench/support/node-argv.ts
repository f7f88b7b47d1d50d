/**
 * How every bench child process runs Node: the bench's own files are TypeScript, run through tsx,
 * but `@cachework/*` resolves to each package's built `dist/` (the `default` export condition,
 * what an installed package gives a user), not to its `src/` through tsx. tsx transpiles with
 * esbuild's keepNames, which wraps every named function and closure in a `__name(...)` call
 * (an `Object.defineProperty` per closure made: thousands of instructions on a hot path), so
 * measuring the source would charge cachework for the bench's loader. `npm run bench` runs
 * `tsc -b` first, so dist is current.
 */
export const NODE_TS_ARGS: readonly string[] = ['--import', 'tsx']
