/**
 * The Vite plugin in a real dev server: HTML injection, the per-start token in the virtual
 * module, the token gate of the server proxy, and a production `vite build` that contains no
 * devtools code at all.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, createServer, defaultClientConditions } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type DevtoolsFixture,
  FIXTURE_ROOT,
  startDevtoolsFixture,
} from '../../../tests/fixtures/devtools/start.ts'
import cachework from '../src/vite.ts'

let fx: DevtoolsFixture

beforeAll(async () => {
  fx = await startDevtoolsFixture()
})
afterAll(async () => {
  await fx?.close()
})

async function pageToken(): Promise<string> {
  const code = await (await fetch(`${fx.url}/@id/virtual:cachework-devtools`)).text()
  const m = /"token":"([\w-]+)"/.exec(code)
  expect(m, code).not.toBeNull()
  return m?.[1] as string
}

describe('cachework() in vite dev', () => {
  it('injects the panel module into served HTML, with a random token per start', async () => {
    const html = await (await fetch(`${fx.url}/`)).text()
    expect(html).toContain('/@id/virtual:cachework-devtools')
    const code = await (await fetch(`${fx.url}/@id/virtual:cachework-devtools`)).text()
    expect(code).toContain('mountDevtools')
    const token = await pageToken()
    expect(token.length).toBeGreaterThanOrEqual(40)
    const other = await startDevtoolsFixture()
    try {
      const code2 = await (await fetch(`${other.url}/@id/virtual:cachework-devtools`)).text()
      expect(code2).not.toContain(token)
    } finally {
      await other.close()
    }
  })

  it('proxies to the Node server only with the page token', async () => {
    const none = await fetch(`${fx.url}/__cachework/server/list`)
    expect(none.status).toBe(403)
    const wrong = await fetch(`${fx.url}/__cachework/server/list`, {
      headers: { 'x-cachework-token': 'nope' },
    })
    expect(wrong.status).toBe(403)
    const ok = await fetch(`${fx.url}/__cachework/server/list`, {
      headers: { 'x-cachework-token': await pageToken() },
    })
    expect(ok.status).toBe(200)
    const body = (await ok.json()) as { entries: Array<{ key: string }> }
    expect(body.entries.map((e) => e.key)).toContain('server-a')
  })

  it('stays off when NODE_ENV=production, even in a dev server', async () => {
    const old = process.env.NODE_ENV
    process.env.NODE_ENV = 'production'
    const server = await createServer({
      configFile: false,
      root: FIXTURE_ROOT,
      logLevel: 'silent',
      server: { host: '127.0.0.1', port: 0, watch: null },
      optimizeDeps: { noDiscovery: true, include: [] },
      plugins: [cachework()],
    })
    try {
      await server.listen()
      const { port } = (server.httpServer as Server).address() as AddressInfo
      const html = await (await fetch(`http://127.0.0.1:${port}/`)).text()
      expect(html).toContain('fixture app')
      expect(html).not.toContain('cachework-devtools')
    } finally {
      process.env.NODE_ENV = old
      await server.close()
    }
  })

  it('registers a custom-render dock with Vite DevTools, whose renderer file exists', async () => {
    const docks: Array<Record<string, unknown>> = []
    const plugin = cachework() as unknown as { devtools: { setup(ctx: unknown): void } }
    plugin.devtools.setup({ docks: { register: (e: Record<string, unknown>) => docks.push(e) } })
    expect(docks).toHaveLength(1)
    expect(docks[0]).toMatchObject({
      id: 'cachework',
      type: 'custom-render',
      renderer: { importName: 'default' },
    })
    const renderer = docks[0]?.renderer as { importFrom: string } | undefined
    const from = String(renderer?.importFrom)
    expect(from).toMatch(/^\/@fs\/.*client\/vite-devtools\.ts$/)
    await expect(readFile(`/${from.slice('/@fs/'.length)}`, 'utf8')).resolves.toContain('dom:panel:mounted')
  })

  it('applies to serve only: not to build, SSR build or preview', () => {
    const apply = cachework().apply as (c: object, env: object) => boolean
    expect(apply({}, { command: 'serve', mode: 'development' })).toBe(true)
    expect(apply({}, { command: 'build', mode: 'production' })).toBe(false)
    expect(apply({}, { command: 'build', mode: 'production', isSsrBuild: true })).toBe(false)
    expect(apply({}, { command: 'serve', mode: 'production', isPreview: true })).toBe(false)
  })
})

describe('cachework() in vite build', () => {
  it('leaves no devtools code in the production bundle', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'cw-devtools-build-'))
    try {
      await build({
        configFile: false,
        root: FIXTURE_ROOT,
        logLevel: 'error',
        resolve: { conditions: ['@cachework/source', ...defaultClientConditions] },
        plugins: [cachework({ server: 'http://127.0.0.1:3000' })],
        build: { outDir, emptyOutDir: true, minify: false },
      })
      const files = (await readdir(outDir, { recursive: true, withFileTypes: true }))
        .filter((d) => d.isFile())
        .map((d) => join(d.parentPath, d.name))
      const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n')
      // The build really contains the app (so an empty output cannot pass)…
      expect(text).toContain('fixture app')
      expect(text).toContain('devtools-fixture-page')
      // …and nothing of the panel, its channels or its virtual module.
      for (const marker of [
        'cachework-devtools',
        'virtual:cachework',
        'mountDevtools',
        'cachework:request',
        'cachework:subscribe',
        'x-cachework-token',
        '__cacheworkDevtools',
        'cw-resize',
        'cw-toggle',
        'Alt+Shift+C',
      ]) {
        expect(text, `production output contains devtools marker ${marker}`).not.toContain(marker)
      }
    } finally {
      await rm(outDir, { recursive: true, force: true })
    }
  })
})
