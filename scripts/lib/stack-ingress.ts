/**
 * A stack's nginx: rendered from the shipped template in front of the frontend server and every
 * broadcaster replica, on the ports asked for or on free ones. A free port can be taken between
 * the probe and nginx's bind, so a fresh pair is tried up to three times.
 */
import { freePort } from './free-port.ts';
import { startNginx, type NginxProcess } from './nginx.ts';
import type { StackSecurity } from './stack-options.ts';

/** Where to probe an ingress bound to every interface. */
const PROBE_HOSTS: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '[::1]' };

export interface IngressOptions {
  /** nginx's prefix directory. */
  dir: string;
  /** Address nginx listens on. */
  host: string;
  /** HTTP port; 0 picks a free one. */
  port: number;
  /** HTTPS port (with `security.tls`); 0 picks a free one. */
  httpsPort: number;
  frontendPort: number;
  broadcasterPorts: readonly number[];
  accessLog: string | undefined;
  security: StackSecurity;
  ingressSecret: string | undefined;
  timeoutMs: number;
  detached: boolean | undefined;
  onLine: ((line: string) => void) | undefined;
}

export interface Ingress {
  nginx: NginxProcess;
  port: number;
  httpsPort: number | undefined;
}

export async function startIngress(o: IngressOptions): Promise<Ingress> {
  const { host, security } = o;
  // nginx's `listen` and URLs write an IPv6 address in brackets.
  const listenHost = host.includes(':') ? `[${host}]` : host;
  for (let attempt = 1; ; attempt++) {
    const port = o.port || (await freePort(host));
    const tlsPort = security.tls ? o.httpsPort || (await freePort(host)) : undefined;
    try {
      const nginx = await startNginx({
        dir: o.dir,
        listen: `${listenHost}:${port}`,
        port,
        probeHost: PROBE_HOSTS[host] ?? listenHost,
        frontendUpstream: `127.0.0.1:${o.frontendPort}`,
        broadcasterUpstream: o.broadcasterPorts.map((port) => `127.0.0.1:${port}`),
        accessLog: o.accessLog,
        security: {
          authFile: security.authFile,
          tls: security.tls,
          tlsListen: tlsPort ? `${listenHost}:${tlsPort}` : undefined,
          httpsPort: tlsPort,
          secret: o.ingressSecret,
        },
        timeoutMs: o.timeoutMs,
        detached: o.detached,
        onLine: o.onLine,
      });
      return { nginx, port, httpsPort: tlsPort };
    } catch (err) {
      const inUse = /Address already in use/.test((err as Error).message);
      if (!inUse || (o.port && (o.httpsPort || !security.tls)) || attempt >= 3) throw err;
    }
  }
}
