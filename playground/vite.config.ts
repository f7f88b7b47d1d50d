import cachework from '@cachework/devtools/vite'
import { defaultClientConditions, defaultServerConditions, defineConfig } from 'vite'

// Read the workspace packages' TypeScript sources without a build (the `@cachework/source` export condition).
export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['@cachework/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@cachework/source', ...defaultServerConditions] } },
  server: {
    host: '127.0.0.1',
    // Vite's CORS middleware would add `Vary: Origin` to every page, and so to every page-cache key.
    cors: false,
    headers: { 'Service-Worker-Allowed': '/' },
  },
  // The pages are rendered by the Express server, so tell Vite where the client code starts: it
  // then pre-bundles every dependency at start-up instead of reloading the page on first use.
  optimizeDeps: { entries: ['src/main.ts', 'src/sw.ts'] },
  // The devtools panel (dev server only; never in a build). The Express server runs in this same
  // process, so the panel lists its caches without a separate endpoint.
  plugins: [cachework()],
  // `vite build` (NODE_ENV=production npm start serves it): the page script and the worker, at
  // fixed names so the server can link them.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: { main: 'src/main.ts', sw: 'src/sw.ts' },
      output: { entryFileNames: '[name].js' },
    },
  },
})
