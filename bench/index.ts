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
rewrites that suite's section below. Every table is measured side by side in one run on the
same machine; the ratio column divides each row by the table's first row. Benchmarks are not
tests and never gate CI: absolute numbers move with the machine, ratios much less.
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
  writeFileSync(docPath, doc)
  console.log(`\nwrote ${docPath}`)
}

await main()
