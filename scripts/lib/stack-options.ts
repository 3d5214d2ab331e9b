/** What `startStack` can be asked for: the parts, their ports and environment, the ingress's lock. */
import type { ServiceMode, ServiceName } from './service-process.ts';
import type { RestartEvent } from './broadcaster-replicas.ts';

export type StackPartName = ServiceName | 'nginx';
export type Env = Record<string, string | undefined>;

export interface StackOptions {
  /** SERVER_COUNT of the generator (default 5). */
  serverCount?: number;
  /**
   * Extra environment per service; `PORT` here overrides the default free port (for the
   * broadcaster: the first replica's, the others take the ports after it).
   */
  env?: Partial<Record<ServiceName, Env>>;
  /** Broadcaster processes behind the ingress (default 1). */
  broadcasterReplicas?: number;
  /**
   * Start a broadcaster replica again when it exits without being asked to (a crash, kill -9),
   * on the port it had, after a backoff (`restart-backoff.ts`). Default false.
   */
  superviseBroadcasters?: boolean;
  /** Called when a supervised replica exited and its restart is scheduled or has failed. */
  onRestart?: (event: RestartEvent) => void;
  /**
   * The ingress in front of the services (default nginx). `none`: the caller puts its own in
   * front (`npm start` without nginx on PATH, `npm run dev`), and `url` is not available.
   */
  ingress?: 'nginx' | 'none';
  /** Start the frontend's static server (default true; `npm run dev` uses Vite's instead). */
  frontend?: boolean;
  /** Address nginx listens on (default 127.0.0.1). */
  host?: string;
  /** nginx port; 0 or absent picks a free one. */
  port?: number;
  /**
   * Address every service listens on (`HOST`, default 127.0.0.1): only the ingress is meant to
   * be reached from elsewhere.
   */
  serviceHost?: string;
  /** Lock and TLS of the ingress (issue 16; docs/security.md). */
  security?: StackSecurity;
  /** `source` runs main.ts through tsx (tests); `dist` the compiled build; `watch` tsx watch. */
  mode?: ServiceMode;
  /** Put each service in its own process group (see `StartOptions.detached`). */
  detached?: boolean;
  /**
   * Directory for the SQLite file and nginx's prefix. Default: a fresh temporary directory,
   * removed by `stop()`.
   */
  dataDir?: string;
  /** The generator's DB_PATH (default `metrics.db` in `dataDir`). */
  dbPath?: string;
  /** nginx access log: a path or `off` (default: `logs/access.log` in nginx's prefix). */
  accessLog?: string;
  /** Every output line of every part, as it arrives (`replica`: which broadcaster, from 0). */
  onLine?: (name: StackPartName, line: string, replica?: number) => void;
  /** Per-service start timeout (default 30 s; tsx start-up on a busy 2-core machine is slow). */
  timeoutMs?: number;
}

export interface StackSecurity {
  /** htpasswd file: basic auth on every path but /healthz. */
  authFile?: string;
  /** PEM certificate chain and key: HTTPS on `httpsPort`, plain HTTP redirects there. */
  tls?: { cert: string; key: string };
  /** HTTPS port (with `tls`); 0 or absent picks a free one. */
  httpsPort?: number;
  /**
   * What nginx adds as `X-Ingress-Secret` and the broadcaster requires (`INGRESS_SECRET`).
   * Default with `authFile`: a fresh random one per stack, so the lock cannot be walked around
   * by connecting to the broadcaster directly.
   */
  secret?: string;
}
