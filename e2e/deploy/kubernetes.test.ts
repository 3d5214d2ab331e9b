/**
 * deploy/kubernetes/ checked without a cluster (the manifests are validated, not
 * applied): every object against the Kubernetes API's OpenAPI schemas (kubernetes-models, the
 * schemas of Kubernetes 1.3x vendored in the npm package), then every cross-object fact an apply
 * depends on — selectors, ports, probes, the autoscaler's target, the Ingress's backends — and
 * the services' environment against their own `loadConfig` and docker-compose.yml, the way
 * compose-contract.test.ts holds compose to them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { interpolation, parseDockerfile } from './parse.ts';
import { defaultPort, load, NODE_SERVICES, variablesRead } from './service-config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'deploy/kubernetes');
const SHUTDOWN_DEADLINE_S = 10;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}
interface EnvVar {
  name: string;
  value?: string;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: { cpu?: string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    volumes?: Array<{ name: string }>;
  };
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: PodTemplate;
    volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
  };
}
interface ServiceObject extends K8sObject {
  spec: {
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: string | number }>;
  };
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .sort();
const objects: Array<K8sObject & { file: string }> = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return { ...(doc.toJS() as K8sObject), file };
  }),
);
const find = <T extends K8sObject>(kind: string, name: string): T => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes/`);
  return found as unknown as T;
};
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, { environment?: Record<string, string> }> };

/** Variables the last stage of a service's Dockerfile sets with `ENV`. */
function imageEnv(service: string): Record<string, string> {
  const dockerfile = readFileSync(
    join(ROOT, NODE_SERVICES[service]!.workspace, 'Dockerfile'),
    'utf8',
  );
  const env: Record<string, string> = {};
  for (const { keyword, args } of parseDockerfile(dockerfile).stages.at(-1)!.instructions) {
    if (keyword !== 'ENV') continue;
    for (const match of args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) env[match[1]!] = match[2]!;
  }
  return env;
}

/** The kubernetes-models class of an object: `kubernetes-models/<group>/<version>/<Kind>`. */
async function modelOf(apiVersion: string, kind: string) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group
    ? `kubernetes-models/${group}/${version}/${kind}`
    : `kubernetes-models/${version}/${kind}`;
  const module = (await import(path)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[kind];
  if (!Model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return Model;
}

/** The workload of each Node service: the generator is a StatefulSet, the others Deployments. */
const WORKLOADS: Record<string, 'StatefulSet' | 'Deployment'> = {
  'metric-generator': 'StatefulSet',
  'metric-broadcaster': 'Deployment',
  frontend: 'Deployment',
};

describe('deploy/kubernetes manifests', () => {
  it('holds the objects a user applies, and kustomization.yaml lists every file', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'Deployment/frontend',
        'Deployment/metric-broadcaster',
        'HorizontalPodAutoscaler/metric-broadcaster',
        'Ingress/metrics-pipeline',
        'Service/frontend',
        'Service/metric-broadcaster',
        'Service/metric-generator',
        'StatefulSet/metric-generator',
      ].sort(),
    );
    const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
      images: Array<{ name: string; newTag: string }>;
    };
    expect([...kustomization.resources].sort()).toEqual(files);
    const images = objects
      .flatMap((o) => (o as unknown as Partial<Workload>).spec?.template?.spec?.containers ?? [])
      .map((c) => c.image.split(':')[0]!)
      .sort();
    expect(kustomization.images.map((i) => i.name).sort()).toEqual(images);
  });

  it.each(objects.map((o) => [`${o.file}: ${o.kind} ${o.metadata.name}`, o] as const))(
    'validates against the Kubernetes schema: %s',
    async (_, object) => {
      const { file: _file, ...data } = object;
      const Model = await modelOf(data.apiVersion, data.kind);
      expect(() => new Model(data).validate()).not.toThrow();
    },
  );

  it('the schema check can fail: a string port and a missing selector are refused', () => {
    const broken = structuredClone(
      find<Workload>('Deployment', 'metric-broadcaster'),
    ) as Workload & {
      file?: string;
    };
    delete broken.file;
    (
      broken.spec.template.spec.containers[0]!.ports![0] as { containerPort: unknown }
    ).containerPort = 'http';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
    delete (broken.spec as { selector?: unknown }).selector;
    expect(() => new Deployment(broken).validate()).toThrow(/selector/);
  });
});

describe.each(Object.keys(NODE_SERVICES))('kubernetes %s', (service) => {
  const workload = find<Workload>(WORKLOADS[service]!, service);
  const pod = workload.spec.template;
  const container = pod.spec.containers.find((c) => c.name === service)!;
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
  /** What the container runs with: its image's `ENV` (e.g. `HOST=0.0.0.0`), then the manifest's. */
  const effective = { ...imageEnv(service), ...env };
  const port = defaultPort(service);

  it('passes every variable the service reads (or its image sets), with compose’s defaults, and the env is valid', () => {
    const read = variablesRead(service);
    expect(
      read.filter((name) => !(name in effective)),
      'read but not set',
    ).toEqual([]);
    expect(
      Object.keys(env).filter((name) => !read.includes(name)),
      'set but not read',
    ).toEqual([]);
    expect(effective.HOST, 'listens beyond the pod’s loopback').toBe('0.0.0.0');
    const composeEnv = compose.services[service]!.environment!;
    for (const [name, value] of Object.entries(env)) {
      const composeValue = composeEnv[name]!;
      const ref = interpolation(composeValue);
      expect(value, `${name} as compose sets it`).toBe(ref ? (ref.fallback ?? '') : composeValue);
    }
    expect(() => load(service, effective)).not.toThrow();
  });

  it('selects its own pods, exposes the default port and probes /healthz on it', () => {
    expect(pod.metadata.labels).toMatchObject(workload.spec.selector.matchLabels);
    const named = container.ports!.find((p) => p.containerPort === port);
    expect(named, `container port ${port}`).toBeDefined();
    expect(Number(env.PORT)).toBe(port);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe?.httpGet?.path).toBe('/healthz');
      expect([named!.name, port]).toContain(probe!.httpGet!.port);
    }
    const svc = find<ServiceObject>('Service', service);
    expect(workload.spec.selector.matchLabels).toEqual(svc.spec.selector);
    expect(svc.spec.ports).toHaveLength(1);
    expect(svc.spec.ports[0]!.port).toBe(port);
    expect([named!.name, port]).toContain(svc.spec.ports[0]!.targetPort);
  });

  it('gives the shutdown its 10 s deadline and more', () => {
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(SHUTDOWN_DEADLINE_S);
  });

  it('mounts every volume it names (a read-only root needs a writable /tmp)', () => {
    const declared = new Set([
      ...(pod.spec.volumes ?? []).map((v) => v.name),
      ...(workload.spec.volumeClaimTemplates ?? []).map((v) => v.metadata.name),
    ]);
    for (const mount of container.volumeMounts ?? []) expect(declared).toContain(mount.name);
    expect(container.volumeMounts?.map((m) => m.mountPath)).toContain('/tmp');
  });
});

describe('kubernetes topology', () => {
  it('runs the generator as one StatefulSet pod with its database on a claimed volume', () => {
    const generator = find<Workload>('StatefulSet', 'metric-generator');
    expect(generator.spec.replicas).toBe(1);
    expect(generator.spec.serviceName).toBe('metric-generator');
    const container = generator.spec.template.spec.containers[0]!;
    const dbPath = container.env!.find((e) => e.name === 'DB_PATH')!.value!;
    const mount = container.volumeMounts!.find((m) => dbPath.startsWith(`${m.mountPath}/`));
    expect(mount, `a volume holding ${dbPath}`).toBeDefined();
    expect(generator.spec.volumeClaimTemplates!.map((v) => v.metadata.name)).toContain(mount!.name);
  });

  it('points the broadcasters at the generator Service', () => {
    const container = find<Workload>('Deployment', 'metric-broadcaster').spec.template.spec
      .containers[0]!;
    const url = new URL(container.env!.find((e) => e.name === 'GENERATOR_URL')!.value!);
    const svc = find<ServiceObject>('Service', url.hostname);
    expect(Number(url.port)).toBe(svc.spec.ports[0]!.port);
    expect(svc.spec.selector).toEqual(
      find<Workload>('StatefulSet', 'metric-generator').spec.selector.matchLabels,
    );
  });

  it('scales the broadcaster Deployment on CPU, which its pods request', () => {
    const hpa = find<K8sObject>('HorizontalPodAutoscaler', 'metric-broadcaster').spec as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: Array<{ type: string; resource?: { name: string } }>;
    };
    expect(hpa.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'metric-broadcaster',
    });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
    expect(hpa.metrics.map((m) => m.resource?.name)).toEqual(['cpu']);
    const broadcaster = find<Workload>('Deployment', 'metric-broadcaster');
    expect(broadcaster.spec.template.spec.containers[0]!.resources?.requests?.cpu).toBeDefined();
    expect(broadcaster.spec.replicas).toBe(hpa.minReplicas);
  });

  it('routes / to the frontend and /socket.io/ to the broadcasters, nothing to the generator, with WebSocket timeouts', () => {
    const ingress = find<K8sObject>('Ingress', 'metrics-pipeline');
    const spec = ingress.spec as {
      ingressClassName: string;
      rules: Array<{
        http: {
          paths: Array<{
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { name?: string; number?: number } } };
          }>;
        };
      }>;
    };
    expect(spec.ingressClassName).toBe('nginx');
    const routes = Object.fromEntries(
      spec.rules.flatMap((r) => r.http.paths).map((p) => [p.path, p.backend.service]),
    );
    expect(Object.keys(routes).sort()).toEqual(['/', '/socket.io/']);
    expect(routes['/']!.name).toBe('frontend');
    expect(routes['/socket.io/']!.name).toBe('metric-broadcaster');
    for (const backend of Object.values(routes)) {
      const svc = find<ServiceObject>('Service', backend.name);
      expect(svc.spec.ports.map((p) => p.name)).toContain(backend.port.name);
    }
    const annotations = ingress.metadata.annotations ?? {};
    const ns = 'nginx.ingress.kubernetes.io/';
    expect(Number(annotations[`${ns}proxy-read-timeout`])).toBeGreaterThanOrEqual(3600);
    expect(Number(annotations[`${ns}proxy-send-timeout`])).toBeGreaterThanOrEqual(3600);
    expect(annotations[`${ns}proxy-next-upstream`]).toMatch(/\berror\b.*\btimeout\b/);
    expect(annotations[`${ns}proxy-buffering`]).toBe('off');
  });
});
