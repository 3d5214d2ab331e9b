/**
 * The ingresses `npm start` uses when nginx is not the one:
 *  - `startPreviewIngress`: no nginx on PATH. Vite's preview server as a pure proxy with the same
 *    routes as the nginx template (`/socket.io/` to the broadcaster with WebSocket upgrade,
 *    everything else to the frontend server, `/healthz` answered locally) and the template's
 *    security headers. Vite's proxy is http-proxy: no hand-written proxying here. With
 *    `security` it also behaves as the template's access-control and TLS blocks do (issue 16):
 *    basic auth from an htpasswd file on every path but `/healthz`, WebSocket upgrades included,
 *    failures slowed per address; HTTPS with HSTS, plain HTTP redirected; the broadcaster's
 *    `X-Ingress-Secret` added to proxied `/socket.io/` requests.
 *  - `startDevIngress`: `npm run dev`. Vite's dev server with HMR, proxying `/socket.io` to the
 *    broadcaster (frontend/vite.config.ts); no CSP, since Vite's dev client injects inline code.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { createServer, preview, type Plugin, type ProxyOptions } from 'vite';
import { createBasicAuthGate, type BasicAuthGate, type GateVerdict } from './basic-auth-gate.ts';
import { readHtpasswd } from './htpasswd.ts';
import { AUTH_REALM, HSTS, templateHeaders } from './nginx.ts';
import { serviceDir } from './service-process.ts';

export interface IngressHandle {
  /** Where a browser opens the dashboard (`https://…` with TLS). */
  url: string;
  close(): Promise<void>;
}

/** The fallback's counterpart of the template's access-control and TLS blocks. */
export interface FallbackSecurity {
  /** htpasswd file (apr1, bcrypt): basic auth on all but /healthz, read once at start. */
  authFile?: string;
  /** PEM files: HTTPS on `httpsPort`, `port` then only redirects (and answers /healthz). */
  tls?: { cert: string; key: string };
  httpsPort?: number;
  /** Sent to the broadcaster as `X-Ingress-Secret` on proxied `/socket.io/` requests. */
  secret?: string;
}

export interface ViteIngressOptions {
  host: string;
  port: number;
  broadcasterUrl: string;
  /** Only the preview ingress: where the frontend's static server is. */
  frontendUrl?: string;
  /** Only the preview ingress: basic auth, TLS, the broadcaster's secret. */
  security?: FallbackSecurity;
}

const FRONTEND_DIR = serviceDir('frontend');
const INGRESS_SECRET_HEADER = 'x-ingress-secret';

function answerHealth(res: ServerResponse): void {
  res.setHeader('Content-Type', 'application/json');
  res.end('{"status":"ok"}');
}

function refuse(res: ServerResponse, verdict: Exclude<GateVerdict, { ok: true }>): void {
  res.writeHead(verdict.status, { ...verdict.headers, 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      error: {
        code: verdict.status === 401 ? 'unauthorized' : 'too_many_requests',
        message:
          verdict.status === 401 ? 'credentials required' : 'too many failed logins: wait a while',
      },
    }),
  );
}

/**
 * Answers `/healthz` itself, stamps the template's headers on every response and, with a gate,
 * lets through only authenticated requests.
 */
function ingressPlugin(headers: Record<string, string>, gate?: BasicAuthGate): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (req.url === '/healthz') return answerHealth(res);
    if (!gate) return next();
    gate.check(req).then(
      (verdict) => (verdict.ok ? next() : refuse(res, verdict)),
      () => refuse(res, { ok: false, status: 401, headers: {} }),
    );
  };
  return {
    name: 'metrics-ingress',
    configurePreviewServer(server) {
      server.middlewares.use(handle);
    },
  };
}

/**
 * Gates WebSocket upgrades, which never pass through middlewares: Vite's proxy listens for
 * `upgrade` on the server itself, so its listeners run only once the gate has said yes.
 */
function gateUpgrades(server: Server, gate: BasicAuthGate): void {
  const proxied = server.listeners('upgrade') as Array<
    (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  >;
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    gate.check(req).then(
      (verdict) => {
        if (verdict.ok) {
          for (const listener of proxied) listener.call(server, req, socket, head);
          return;
        }
        const lines = [
          `HTTP/1.1 ${verdict.status} ${STATUS_CODES[verdict.status]}`,
          ...Object.entries(verdict.headers).map(([name, value]) => `${name}: ${value}`),
          'Content-Length: 0',
          'Connection: close',
        ];
        socket.end(`${lines.join('\r\n')}\r\n\r\n`);
      },
      () => socket.destroy(),
    );
  });
}

/** Plain HTTP with TLS on: `/healthz` answered, everything else redirected to HTTPS. */
async function startRedirectServer(host: string, port: number, httpsPort: number) {
  const server = createHttpServer((req, res) => {
    if (req.url === '/healthz') return answerHealth(res);
    let hostname: string;
    try {
      hostname = new URL(`http://${req.headers.host ?? ''}`).hostname;
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"error":{"code":"bad_host","message":"invalid Host header"}}');
      return;
    }
    res.writeHead(301, { Location: `https://${hostname}:${httpsPort}${req.url ?? '/'}` });
    res.end();
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

export async function startPreviewIngress(options: ViteIngressOptions): Promise<IngressHandle> {
  if (!options.frontendUrl) throw new Error('the preview ingress needs frontendUrl');
  const { security = {} } = options;
  if (security.tls && !security.httpsPort) throw new Error('TLS needs httpsPort');
  const gate = security.authFile
    ? createBasicAuthGate({ htpasswd: readHtpasswd(security.authFile), realm: AUTH_REALM })
    : undefined;
  const headers = templateHeaders();
  if (security.tls) headers['Strict-Transport-Security'] = HSTS;
  // As the template's `proxy_set_header`: the secret replaces whatever a client sent under that
  // name, and the browser's credentials stay here.
  const toBroadcaster: ProxyOptions['configure'] = (proxy) => {
    const rewrite = (proxyReq: {
      setHeader(n: string, v: string): void;
      removeHeader(n: string): void;
    }) => {
      proxyReq.removeHeader('authorization');
      if (security.secret) proxyReq.setHeader(INGRESS_SECRET_HEADER, security.secret);
      else proxyReq.removeHeader(INGRESS_SECRET_HEADER);
    };
    proxy.on('proxyReq', rewrite);
    proxy.on('proxyReqWs', rewrite);
  };
  const toFrontend: ProxyOptions['configure'] = (proxy) => {
    proxy.on('proxyReq', (proxyReq) => proxyReq.removeHeader('authorization'));
  };
  // frontend/vite.config.ts reads this for its own proxy entry; keep both pointing the same way.
  process.env.BROADCASTER_URL = options.broadcasterUrl;
  const port = security.tls ? security.httpsPort! : options.port;
  const server = await preview({
    root: FRONTEND_DIR,
    configFile: join(FRONTEND_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    plugins: [ingressPlugin(headers, gate)],
    preview: {
      host: options.host,
      port,
      strictPort: true,
      open: false,
      ...(security.tls
        ? {
            https: {
              cert: readFileSync(security.tls.cert),
              key: readFileSync(security.tls.key),
            },
          }
        : {}),
      proxy: {
        '/socket.io': {
          target: options.broadcasterUrl,
          ws: true,
          xfwd: true,
          configure: toBroadcaster,
        },
        // Everything else is the frontend server's, as `location /` in the nginx template.
        '^/(?!socket\\.io/)': { target: options.frontendUrl, xfwd: true, configure: toFrontend },
      },
    },
  });
  if (gate) gateUpgrades(server.httpServer as Server, gate);
  const redirect = security.tls
    ? await startRedirectServer(options.host, options.port, port).catch(async (err: unknown) => {
        await server.close();
        throw err;
      })
    : undefined;
  return {
    url: `${security.tls ? 'https' : 'http'}://localhost:${port}`,
    close: async () => {
      if (redirect) {
        redirect.closeAllConnections();
        await new Promise((resolve) => redirect.close(resolve));
      }
      await server.close();
    },
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
