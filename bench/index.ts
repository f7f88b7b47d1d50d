/**
 * `npm run bench [suite…]`: runs every suite in bench/suites (or the named ones), prints the
 * tables and rewrites that suite's section of docs/benchmarks.md.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type BenchSuite, renderTable } from './harness.ts'

const dir = fileURLToPath(new URL('./suites/', import.meta.url))
const docPath = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url))
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))

const HEADER = `# Benchmarks

Produced by \`npm run bench\` (all suites) or \`npm run bench -- <suite>\` (one suite), which
rewrites that suite's section below. Benchmarks are not tests and never gate CI.

## Method

- **One process per contender.** Every contender (cachework and each peer, Node or Python) is
  started in a process of its own (\`bench/support/rounds.ts\`, \`bench/support/worker.ts\`), so
  each has its own JIT profile and heap, as lru-cache's own benchmark does. It fills its own
  store before anything is timed. HTTP servers (\`pages\`, \`http\`) each run in their own process
  under a load generator in another (\`wrk\` for \`pages\`); browser suites (\`sw\`, \`browser-idb\`)
  start one Chromium process per contender (its own renderer, worker and storage).
- **cachework as installed.** Every Node process loads \`@cachework/*\` from the packages' built
  \`dist/\` (\`npm run bench\` runs \`tsc -b\` first), the JavaScript a user's install runs, as the
  peers run their published JavaScript. Only the bench's own files go through tsx, whose
  keepNames transform would otherwise wrap every closure cachework makes in a \`__name\` call
  (\`bench/support/node-argv.ts\`).
- **Interleaved, rotated rounds; medians.** The parent runs 7 rounds (unless a table says otherwise); in round *r*
  every contender times its operation for one window (500 ms unless a table says otherwise), one
  after the other, in an order rotated by *r*, while the others wait idle. A row shows the
  **median** of its rounds with the **min–max** range; the ratio column divides medians by the
  table's baseline (its first row unless named). Load spikes on a shared machine then hit every
  contender alike, and the range shows how much they moved the run.
- **Targets judged round by round.** Under a table of interleaved rounds (the worker processes
  of \`compare\` in \`bench/support/rounds.ts\`: the locmem, memcached, file, db and redis suites; the
  pages suite's wrk rounds), each target note gives the **median of the per-round ratios** of its two contenders
  (timed in the same round, seconds apart, so the machine's drift over the run moves that ratio
  far less than either median) with their min–max and, beside it, the ratio of the two medians;
  the target is met or missed on the per-round median (\`bench/support/notes.ts\`), as in the
  http suite. Sections recorded before 2026-12-03 (the notes then showed one ratio) were judged
  on the ratio of the medians. The redis suite runs 15 rounds, as its single-call rows at
  concurrency 1 spread over 3–5× between rounds.
- **Paired rounds (http).** The http suite compares pairs of servers (each cachework stack with
  its bare framework and its peer), and a shared machine's throughput drifts over seconds, so it
  runs compared servers back to back: the servers are grouped by stack (node:http — bare, cached
  page, \`isolate: false\`, the 20 ms view and Django, which is compared with the cached page;
  Express; Fastify; Hono; Koa), each round runs the groups one after the other with each group's
  servers back to back, and both the order of the groups and the order within each group rotate
  by one each round, so every server takes every position in turn (\`bench/support/paired.ts\`).
  Each ratio in the notes is the **median of the per-round ratios** (the two servers' req/s in
  the same round) with their min–max, and a target is met or missed on that median; CPU per
  request is paired the same way. Rows still show their own median round and min–max.
  \`HTTP_BENCH_SECONDS\` (default 12) counted seconds per server are split over
  \`HTTP_BENCH_ROUNDS\` (default 10) rounds. Each round is one autocannon call on 64 new
  connections whose first 500 ms is not counted (new connections run at about half the steady
  rate at first); requests and server CPU are counted from then to the end of the call, which
  autocannon, sampling every 100 ms, ends within 0.1 s of its duration.
- **Sizes users have.** Working sets of 1,000 to 1,000,000 keys where the backend allows, read in
  a fixed pseudo-random order over all keys (no contender is flattered by locality); two value
  shapes (a small object \`{ id, name, tags }\`, a 4 KiB string) and, for locmem, two key shapes
  (\`user:<i>\`, and Django's 104-unit page-cache keys); the default timeouts users get
  (300 s, or the peer's equivalent), not \`null\`. The page cache is read over 10,000 distinct URLs,
  each cached before the rounds, and the suite checks that no timed request ran the view.
- **Load is printed.** Each suite notes the machine's 1/5/15-minute load average before and after.
  Absolute numbers move with the machine; ratios much less.
- **Instruction counts (http).** The http suite's callgrind table runs each Node server under
  \`valgrind --tool=callgrind\` (V8 \`--predictable\`), counting off through 3 warm-up runs of 5,000
  requests, then on for 5 windows of 2,400 requests each (counts zeroed before and dumped after
  each window, \`callgrind_control -z\` / \`-d\`); every run is autocannon on 8 new connections, the
  same for every contender (\`bench/support/callgrind.ts\`). A row is the median window's
  instructions per request with the lowest and highest window alongside; ratios divide medians.
  New connections deoptimise Node's http code until it has been compiled for them: after a
  single warm-up run V8's optimising compiler was 39–48 % of the count, so the table mostly
  measured TurboFan; after three it is under 2 % (each row prints its share). Most windows repeat
  to within ~1 %, but a single window used to be the whole figure, and about one such window in
  three (seen on Fastify with cachework and with @fastify/caching) carried ~55k extra
  instructions per request (71.5k → 128k, 65k → 121k). Callgrind's diff of such a window against
  a normal one puts all of the extra in V8's young-generation GC: the same two or three
  scavenges as usual (no Mark-Compact, no extra TurboFan), each copying and promoting some
  hundred times the usual number of surviving objects (\`Scavenger::ScavengeObject\`,
  \`IterateAndScavengePromotedObject\`). It comes and goes from one run to the next rather than
  every N requests, so it is not a cost each request pays: the median of five windows keeps one
  or two such windows from setting a row, and the row's max still shows them. Five windows of
  2,400 count 12,000 requests instead of 3,000: 27,000 per server with the warm-up instead of
  18,000 (the table took ~11 minutes of valgrind on an idle machine with one window; with five
  it took ~23 in the run recorded below, with a test run beside it); \`HTTP_BENCH_CALLGRIND=0\` skips it.
- Each table's notes say how that table was measured where it departs from the above (e.g. the
  devtools suite times one panel, so it has no contenders to interleave).
- **Check runs** on a busy machine: \`BENCH_DRY=1\` prints the tables without touching this file;
  \`BENCH_ROUNDS=2 BENCH_ROUND_MS=200\` shorten the rounds. Never record those figures.
`

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>()
  const re = /<!-- bench:(\S+) -->\n?([\s\S]*?)<!-- \/bench:\1 -->/g
  for (const m of text.matchAll(re)) out.set(m[1] as string, `\n${(m[2] as string).trim()}\n\n`)
  return out
}

async function main(): Promise<void> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
  const suites: BenchSuite[] = []
  for (const f of files) {
    const mod = (await import(pathToFileURL(`${dir}${f}`).href)) as { suite?: BenchSuite }
    if (mod.suite && (wanted.length === 0 || wanted.includes(mod.suite.name))) suites.push(mod.suite)
  }
  if (suites.length === 0) throw new Error(`no bench suite matches ${wanted.join(', ')}`)
  const existing = existsSync(docPath) ? sections(readFileSync(docPath, 'utf8')) : new Map<string, string>()
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`
  for (const s of suites) {
    console.log(`\n## ${s.title}\n`)
    const tables = await s.run()
    const body = tables.map(renderTable).join('\n\n')
    console.log(body)
    const when = new Date().toISOString().slice(0, 10)
    existing.set(
      s.name,
      `\n## ${s.title}\n\nCommand: \`${s.command ?? `npm run bench -- ${s.name}`}\` · ${machine} · ${when}\n\n${body}\n\n`,
    )
  }
  const order = [...existing.keys()]
  const doc = `${HEADER}\n${order.map((n) => `<!-- bench:${n} -->${existing.get(n)}<!-- /bench:${n} -->`).join('\n\n')}\n`
  // BENCH_DRY=1: a check run (loaded machine, short windows) prints its tables but records nothing.
  if (process.env.BENCH_DRY === '1')
    return void console.log('\nBENCH_DRY=1: docs/benchmarks.md left as it was')
  writeFileSync(docPath, doc)
  console.log(`\nwrote ${docPath}`)
}

await main()
