import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestKind, RequestOutcome } from './generator-client.js';

export interface BroadcasterMetrics {
  registry: Registry;
  generatorRequests: Counter<'kind' | 'outcome'>;
  generatorLatency: Histogram<'kind'>;
  emittedMessages: Counter<'event'>;
  emittedSamples: Counter;
  freshness: Histogram;
  fanoutDuration: Histogram;
  droppedMessages: Counter<'reason'>;
  clientWrites: Counter<'path'>;
  rejectedEvents: Counter<'reason'>;
  observeRequest(kind: RequestKind, outcome: RequestOutcome, seconds: number): void;
}

export interface MetricsSources {
  clients(): number;
  activePollers(): number;
  generatorUp(): boolean;
}

/** prom-client metrics on their own registry (never the global one), served at `GET /metrics`. */
export function createMetrics(sources: MetricsSources): BroadcasterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'broadcaster_' });
  new Gauge({
    name: 'broadcaster_connected_clients',
    help: 'socket.io clients connected now',
    registers: [registry],
    collect() {
      this.set(sources.clients());
    },
  });
  new Gauge({
    name: 'broadcaster_active_pollers',
    help: 'Pollers whose room has members (server rooms plus the fleet room)',
    registers: [registry],
    collect() {
      this.set(sources.activePollers());
    },
  });
  new Gauge({
    name: 'broadcaster_generator_up',
    help: '1 while the last generator request succeeded',
    registers: [registry],
    collect() {
      this.set(sources.generatorUp() ? 1 : 0);
    },
  });
  const generatorRequests = new Counter({
    name: 'broadcaster_generator_requests_total',
    help: 'HTTP requests sent to metric-generator, by kind (latest, fleet_initial, servers, history) and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const generatorLatency = new Histogram({
    name: 'broadcaster_generator_request_duration_seconds',
    help: 'Duration of generator requests (a latest long poll includes its wait for the tick)',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const emittedMessages = new Counter({
    name: 'broadcaster_emitted_messages_total',
    help: 'Messages written to clients, by event (one per client per event)',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const emittedSamples = new Counter({
    name: 'broadcaster_emitted_samples_total',
    help: 'Samples written to clients (a sample sent to 10 clients counts 10)',
    registers: [registry],
  });
  const freshness = new Histogram({
    name: 'broadcaster_sample_freshness_seconds',
    help: 'Time from a tick to the moment its fan-out to clients starts (generator commit + relay)',
    buckets: [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const fanoutDuration = new Histogram({
    name: 'broadcaster_fanout_duration_seconds',
    help: 'Time to write one tick to every client that gets it (metrics events and fleet frames)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const droppedMessages = new Counter({
    name: 'broadcaster_dropped_messages_total',
    help: 'Per-client messages skipped, by reason (slow_client: too many unsent bytes)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const clientWrites = new Counter({
    name: 'broadcaster_client_writes_total',
    help: 'Per-client writes of the tick fan-out and join frames, by path (direct: pre-framed bytes to the TCP socket; engine: through engine.io, when its queue was busy)',
    labelNames: ['path'] as const,
    registers: [registry],
  });
  const rejectedEvents = new Counter({
    name: 'broadcaster_rejected_events_total',
    help: 'Client events and handshakes refused, by reason (invalid, rate_limited, too_many, unknown, origin, ingress)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return {
    registry,
    generatorRequests,
    generatorLatency,
    emittedMessages,
    emittedSamples,
    freshness,
    fanoutDuration,
    droppedMessages,
    clientWrites,
    rejectedEvents,
    observeRequest(kind, outcome, seconds) {
      generatorRequests.inc({ kind, outcome });
      generatorLatency.observe({ kind }, seconds);
    },
  };
}
