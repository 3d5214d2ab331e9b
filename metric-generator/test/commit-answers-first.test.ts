import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, waitFor, type RunningApp } from './helpers.js';

let running: RunningApp;
beforeAll(async () => {
  running = await startApp({ serverCount: 20, tickMs: 200 });
});
afterAll(() => running.close());

it('lets the long polls a commit woke answer before maintenance (fold, checkpoint) starts', async () => {
  const { app } = running;
  const order: string[] = [];
  // The fold asks for the staging status first thing: that is where maintenance starts.
  const stagingStatus = app.db.stagingStatus;
  app.db.stagingStatus = () => {
    order.push('maintenance');
    return stagingStatus();
  };
  await waitFor(() => app.latest.current() !== undefined, 5_000, 'a first commit');
  const after = app.latest.current()!.tick;
  order.length = 0;
  // A waiter whose answer takes a few more promise turns, as an HTTP route's does.
  void app.latest.waitForTick(after, 5_000).then(async () => {
    for (let i = 0; i < 8; i++) await Promise.resolve();
    order.push('answer');
  });
  await waitFor(() => order.includes('answer') && order.includes('maintenance'), 5_000, 'both');
  app.db.stagingStatus = stagingStatus;
  expect(order.indexOf('answer')).toBeLessThan(order.indexOf('maintenance'));
});
