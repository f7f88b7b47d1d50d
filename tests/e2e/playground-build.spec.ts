import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { freePort } from '../../packages/node/test/support/free-port.ts'

// The playground built for production (`npm run build -w @cachework/playground`) carries no
// devtools code, and the production server (`npm run serve -w @cachework/playground`) works
// without Vite: pages, page cache, service worker.

const playground = join(import.meta.dirname, '..', '..', 'playground')
const node = ['--conditions=@cachework/source', '--import', 'tsx']

let outDir = ''
let server: ChildProcess | undefined
let base = ''
const dataDir = mkdtempSync(join(tmpdir(), 'cachework-prod-data-'))

test.beforeAll(async () => {
  test.setTimeout(180_000)
  outDir = mkdtempSync(join(tmpdir(), 'cachework-prod-'))
  const build = spawnSync(
    process.execPath,
    [
      ...node,
      '../node_modules/vite/bin/vite.js',
      'build',
      '--configLoader',
      'native',
      '--outDir',
      outDir,
      '--logLevel',
      'warn',
    ],
    { cwd: playground, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
  )
  expect(build.status, `vite build failed:\n${build.stdout}\n${build.stderr}`).toBe(0)
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  server = spawn(process.execPath, [...node, 'server/main.ts'], {
    cwd: playground,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      CACHEWORK_PLAYGROUND_DIST: outDir,
      CACHEWORK_DATA_DIR: dataDir,
      CACHEWORK_MEMCACHED: '',
    },
    stdio: 'ignore',
  })
  await expect
    .poll(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status, { timeout: 60_000 })
    .toBe(200)
})

test.afterAll(() => {
  server?.kill('SIGTERM')
  rmSync(outDir, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

test('the production build holds the app and no devtools code', () => {
  const files = readdirSync(outDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
  const text = files.map((d) => readFileSync(join(d.parentPath, d.name), 'utf8')).join('\n')
  expect(files.map((d) => d.name)).toEqual(expect.arrayContaining(['main.js', 'sw.js']))
  expect(text).toContain('courier-saved') // the reader's IndexedDB cache: the app is really there
  for (const marker of [
    'mountDevtools',
    'virtual:cachework',
    'cachework-devtools',
    'cw-toggle',
    'Alt+Shift+C',
  ]) {
    expect(text, `production output contains devtools marker ${marker}`).not.toContain(marker)
  }
})

test('the production server serves cached pages and the built worker, without Vite or the panel', async ({
  page,
}) => {
  const html = await (await fetch(`${base}/articles/sqlite-everywhere`)).text()
  expect(html).toContain('src="/main.js"')
  expect(html).not.toContain('/@vite/client')
  expect(html).not.toContain('cachework-devtools')
  expect((await fetch(`${base}/articles/sqlite-everywhere`)).headers.get('x-cache')).toBe('hit')

  await page.goto(`${base}/articles/sqlite-everywhere`)
  await expect(page.locator('html')).toHaveAttribute('data-sw-ready', 'true', { timeout: 30_000 })
  const again = await page.goto(`${base}/articles/sqlite-everywhere`)
  expect(again?.fromServiceWorker()).toBe(true)
  await expect(page.locator('.cw-toggle')).toHaveCount(0)
})
