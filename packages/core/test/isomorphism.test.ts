import { fileURLToPath } from 'node:url'
import vm from 'node:vm'
import { build, type Rolldown } from 'vite'
import { describe, expect, it } from 'vitest'

// The isomorphic boundary is enforced by the build: bundle core for the browser
// and fail if it imports a Node built-in or needs a Node global to load and run.
const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))

async function bundle(): Promise<{ code: string; imports: string[] }> {
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['@cachework/source', 'browser', 'module'] },
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['es'], fileName: 'core' },
      rolldownOptions: { external: (id: string) => id.startsWith('node:') },
    },
  })) as Rolldown.RolldownOutput[] | Rolldown.RolldownOutput
  const chunks = (Array.isArray(out) ? out[0] : out)?.output ?? []
  const code = chunks.map((c) => ('code' in c ? c.code : '')).join('\n')
  const imports = chunks.flatMap((c) => ('imports' in c ? c.imports : []))
  return { code, imports }
}

describe('@cachework/core is isomorphic', () => {
  it('bundles for the browser without any node: import', async () => {
    const { code, imports } = await bundle()
    expect(code.length).toBeGreaterThan(1000)
    expect(imports.filter((i) => i.startsWith('node:') || /^(fs|path|os|crypto|net)$/.test(i))).toEqual([])
    expect(code).not.toMatch(/from\s+['"]node:/)
    expect(code).not.toMatch(/require\(/)
  })

  it('loads and works in a realm with no Node globals', async () => {
    const { code } = await bundle()
    // Turn the ES module into a script that hands its exports to the sandbox.
    const exportMatch = code.match(/export\s*\{([^}]*)\};?\s*$/)
    expect(exportMatch).not.toBeNull()
    const names = (exportMatch?.[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const body = code.slice(0, exportMatch?.index)
    const pairs = names.map((n) => {
      const [local, exported] = n.split(/\s+as\s+/)
      return `${JSON.stringify(exported ?? local)}: ${local}`
    })
    const script = `${body}\nglobalThis.__core = { ${pairs.join(', ')} };`
    const sandbox: Record<string, unknown> = {
      structuredClone,
      TextEncoder,
      TextDecoder,
      setTimeout,
      clearTimeout,
      console: { warn: () => {}, log: () => {}, error: () => {} },
    }
    const ctx = vm.createContext(sandbox)
    vm.runInContext(script, ctx)
    expect(vm.runInContext('typeof process', ctx)).toBe('undefined')
    expect(vm.runInContext('typeof Buffer', ctx)).toBe('undefined')
    const core = sandbox.__core as typeof import('../src/index.ts')
    const c = core.caches.get('default')
    await c.set('k', { a: [1, 2] })
    expect(JSON.stringify(await c.get('k'))).toBe('{"a":[1,2]}')
    const warnings: unknown[] = []
    c.on('warning', (e) => warnings.push(e))
    await c.set('a key with spaces', 1)
    expect(warnings).toHaveLength(1)
  })
})
