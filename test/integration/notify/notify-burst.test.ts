import { INTEGRATION_ID, startNotifyFixture, type NotifyFixture } from './notify-fixture';

// A burst of notifications against DingTalk's per-app-per-API limit (20 calls/s, simulated for
// real): the shared per-integration client paces the calls, so every send is delivered exactly
// once and no throttling error reaches the agent.

let f: NotifyFixture;
beforeAll(async () => {
  f = await startNotifyFixture();
});
afterAll(async () => {
  await f.close();
});

it('100 concurrent sends at a 20/s limit: all delivered, none twice, no throttling error', async () => {
  await f.reset();
  f.sim.faults.set({ rateLimitPerSecond: 20 });
  const middleware = f.middleware({ integrationId: INTEGRATION_ID, recipient_type: 'chat_id', recipient_id: 'cidBurst==' }); // default timeoutMs
  const tool = f.tool(middleware, 'dingtalk_send_text_notification');
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => f.run(tool, { text: `alert ${i}` }, {}, { toolCallId: `call_${i}` })));

  expect(results.filter((r) => r.json?.ok !== true).map((r) => r.content)).toEqual([]);
  const delivered = f.sim.messages().map((m) => (m.content as { content: string }).content);
  expect(delivered).toHaveLength(100);
  expect(new Set(delivered)).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `alert ${i}`)));
  // DingTalk answered every send call with success: the client never ran into the limit.
  const sends = f.sim.calls({ path: '/v1.0/robot/groupMessages/send' });
  expect(sends.filter((c) => c.status !== 200)).toEqual([]);
  expect(sends).toHaveLength(100);
  // Paced by count, on the simulator's own clock: no rolling second saw more than 20 send calls.
  const times = sends.map((c) => c.time).sort((a, b) => a - b);
  const busiest = Math.max(...times.map((start) => times.filter((time) => time >= start && time < start + 1000).length));
  expect(busiest).toBeLessThanOrEqual(20);
  const rows = await f.db.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM plugin_dingtalk_outbox WHERE status = 'sent'`);
  expect(Number(rows[0].n)).toBe(100);
  expect(f.warnings).toEqual([]);
}, 60_000);
