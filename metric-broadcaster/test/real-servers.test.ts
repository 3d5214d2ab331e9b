import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandServerInfos, type ServersPayload } from '@metrics/protocol';
import { startService, type ServiceProcess } from '../../scripts/lib/service-process.js';
import { startFakeExporter, type FakeExporter } from '../../scripts/lib/fake-node-exporter.js';
import {
  connectClient,
  serversOf,
  startBroadcaster,
  waitFor,
  type Client,
  type RunningBroadcaster,
} from './helpers/harness.js';

/**
 * Real servers (node_exporter targets of the real generator) reach dashboard clients with their
 * source and scrape state; a target going down is told to clients without a change of version.
 */
describe('real servers through the broadcaster', () => {
  let exporter: FakeExporter;
  let generator: ServiceProcess;
  let broadcaster: RunningBroadcaster;
  let client: Client;

  beforeAll(async () => {
    exporter = await startFakeExporter();
    generator = await startService('metric-generator', {
      PORT: '0',
      SERVER_COUNT: '2',
      DB_PATH: ':memory:',
      TICK_MS: '500',
      NODE_EXPORTER_TARGETS: `this=${exporter.origin}`,
    });
    broadcaster = await startBroadcaster({
      GENERATOR_URL: generator.url,
      DISCOVERY_INTERVAL_MS: '500',
    });
    client = await connectClient(broadcaster.url);
  }, 30_000);
  afterAll(async () => {
    client?.close();
    await broadcaster?.close();
    await generator?.stop();
    await exporter?.close();
  });

  /** The last `servers` event's entries, one per server (the event comes compact). */
  const entriesOf = (payload: ServersPayload | undefined) =>
    payload ? expandServerInfos(payload.servers) : [];
  const entryOfThis = () => entriesOf(serversOf(client).at(-1)).find((s) => s.id === 'this');

  it('relays each entry as the generator lists it, and its state when it changes', async () => {
    await waitFor(() => entryOfThis()?.scrape?.up === true, 15_000, 'this up');
    const up = serversOf(client).at(-1)!;
    expect(entriesOf(up).map((s) => s.id)).toEqual(['server-1', 'server-2', 'this']);
    expect(entriesOf(up)[0]).toEqual({ id: 'server-1' });
    expect(entryOfThis()).toMatchObject({ source: 'node_exporter', labels: {} });

    exporter.mode = 'error';
    await waitFor(() => entryOfThis()?.scrape?.up === false, 15_000, 'this down');
    expect(entryOfThis()?.scrape?.lastError).toBe('HTTP 503');
    // Same ids: same version, so fleet frames keep their columns.
    expect(serversOf(client).at(-1)!.version).toBe(up.version);
  }, 40_000);
});
