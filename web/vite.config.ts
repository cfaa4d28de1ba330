import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// The console builds into dist/console, which the server serves at `/` (see src/api/internal/console.ts).
export default defineConfig({
  root: here,
  base: '/',
  // Preact's automatic JSX runtime, compiled by Vite's own transformer (no Babel preset needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  // `npm run console:dev`: hot reload, with the API of a running server behind the same origin.
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/api', '/health', '/openapi.json'].map((path) => [
        path,
        { target: process.env.TOOLPORT_URL ?? 'http://127.0.0.1:8090', changeOrigin: true },
      ]),
    ),
  },
  logLevel: 'warn',
});
