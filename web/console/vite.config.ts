import { defineConfig } from 'vitest/config';

// The hub serves the built files itself under /console/ with a strict Content-Security-Policy
// (script-src 'self', style-src 'self'): no inline scripts or styles may be emitted.
// `npm run build -- --outDir <dir> --emptyOutDir` overrides the output directory.
// (Declared here rather than pulling in @types/node for one variable.)
declare const process: { env: Record<string, string | undefined> };
const hub = process.env.VERBUND_HUB ?? 'http://127.0.0.1:18086';
const proxy = Object.fromEntries(['/api', '/query', '/write', '/ping'].map((p) => [p, { target: hub, changeOrigin: false }]));
// The hub's policy for /console/, so `vite preview` shows what the CSP would refuse.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    target: 'es2020',
    // The polyfill would be an inline <script>, which the hub's CSP refuses.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    port: 5173,
    strictPort: true,
    // Development against a running hub: the console's API calls are same-origin paths.
    proxy,
  },
  preview: {
    port: 4173,
    strictPort: true,
    proxy,
    headers: { 'Content-Security-Policy': CSP },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
