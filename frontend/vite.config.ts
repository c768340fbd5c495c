import { defineConfig } from 'vitest/config';
import type { ProxyOptions } from 'vite';

// The Go server (make run) listens on :8080; the dev server proxies the API,
// the signed media URLs and the sandbox platforms to it. Set PRASAR_BACKEND
// to proxy elsewhere.
const backend = process.env.PRASAR_BACKEND ?? 'http://localhost:8080';

// The API refuses state-changing requests whose Origin is not its own base
// URL (CSRF defence), so the dev server presents the backend's origin.
const proxy: ProxyOptions = {
  target: backend,
  changeOrigin: true,
  configure: (p) => {
    p.on('proxyReq', (req) => {
      if (req.getHeader('origin')) req.setHeader('origin', new URL(backend).origin);
    });
  },
};

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': proxy,
      '/media': proxy,
      '/sandbox': proxy,
      '/healthz': proxy,
      '/readyz': proxy,
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
