/**
 * The ingresses `npm start` uses when nginx is not the one:
 *  - `startPreviewIngress`: no nginx on PATH. Vite's preview server as a pure proxy with the same
 *    routes as the nginx template (`/socket.io/` to the broadcaster with WebSocket upgrade,
 *    everything else to the frontend server, `/healthz` answered locally) and the template's
 *    security headers. Vite's proxy is http-proxy: no hand-written proxying here.
 *  - `startDevIngress`: `npm run dev`. Vite's dev server with HMR, proxying `/socket.io` to the
 *    broadcaster (frontend/vite.config.ts); no CSP, since Vite's dev client injects inline code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createServer, preview, type Plugin } from 'vite';
import { templateHeaders } from './nginx.ts';
import { serviceDir } from './service-process.ts';

export interface IngressHandle {
  url: string;
  close(): Promise<void>;
}

export interface ViteIngressOptions {
  host: string;
  port: number;
  broadcasterUrl: string;
  /** Only the preview ingress: where the frontend's static server is. */
  frontendUrl?: string;
}

const FRONTEND_DIR = serviceDir('frontend');

/** Answers `/healthz` itself and stamps the template's headers on every response. */
function ingressPlugin(headers: Record<string, string>): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (req.url === '/healthz') {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"status":"ok"}');
      return;
    }
    next();
  };
  return {
    name: 'metrics-ingress',
    configurePreviewServer(server) {
      server.middlewares.use(handle);
    },
  };
}

export async function startPreviewIngress(options: ViteIngressOptions): Promise<IngressHandle> {
  if (!options.frontendUrl) throw new Error('the preview ingress needs frontendUrl');
  // frontend/vite.config.ts reads this for its own proxy entry; keep both pointing the same way.
  process.env.BROADCASTER_URL = options.broadcasterUrl;
  const server = await preview({
    root: FRONTEND_DIR,
    configFile: join(FRONTEND_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    plugins: [ingressPlugin(templateHeaders())],
    preview: {
      host: options.host,
      port: options.port,
      strictPort: true,
      open: false,
      proxy: {
        '/socket.io': { target: options.broadcasterUrl, ws: true, xfwd: true },
        // Everything else is the frontend server's, as `location /` in the nginx template.
        '^/(?!socket\\.io/)': { target: options.frontendUrl, xfwd: true },
      },
    },
  });
  return {
    url: `http://localhost:${options.port}`,
    close: () => server.close(),
  };
}

export async function startDevIngress(options: ViteIngressOptions): Promise<IngressHandle> {
  process.env.BROADCASTER_URL = options.broadcasterUrl;
  const server = await createServer({
    root: FRONTEND_DIR,
    configFile: join(FRONTEND_DIR, 'vite.config.ts'),
    logLevel: 'info',
    clearScreen: false,
    server: { host: options.host, port: options.port, strictPort: true, open: false },
  });
  await server.listen();
  return {
    url: `http://localhost:${options.port}`,
    close: () => server.close(),
  };
}
