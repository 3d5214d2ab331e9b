import { defaultClientConditions, defineConfig } from 'vite';

// Dev only: `BROADCASTER_URL=http://127.0.0.1:3002 npm run dev -w frontend` proxies the socket
// like nginx does in production, so the page always talks to its own origin.
const broadcaster = process.env.BROADCASTER_URL ?? 'http://127.0.0.1:3002';

export default defineConfig({
  // `source` first: @metrics/protocol resolves to its TypeScript source, no build step needed.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: true,
    // Everything but index.html is content-hashed under /assets/ (served immutable).
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/socket.io': { target: broadcaster, ws: true } },
  },
  preview: {
    proxy: { '/socket.io': { target: broadcaster, ws: true } },
  },
});
