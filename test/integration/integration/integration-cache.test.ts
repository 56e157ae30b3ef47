import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import type { HostProfile } from '../../../sandbox/host/harness';
import { DINGTALK_CLOCK } from '../../../src/kernel/tokens';
import { startPluginHost, type PluginHost } from '../../support/plugin-host';

// The plugin keeps integration records it read for integrationCacheMs. Rotated credentials must
// still win within that time on a 3.7 host, which tells plugins nothing, and at once on a 3.17
// host, whose save hook runs before the write. The plugin's clock is a hand-moved one.

const TTL = 5000;
const ROTATED = 'http-app-secret-rotated-0001';

describe.each<HostProfile>(['3.7', '3.17'])('rotating the HTTP bot secret on a %s host', (profile) => {
  let stack: PluginHost;
  const clock = { offsetMs: 0 };

  beforeAll(async () => {
    stack = await startPluginHost({
      profile,
      withStream: false,
      pluginConfig: { integrationCacheMs: TTL, worker: { enabled: false } },
      overrides: [{ provide: DINGTALK_CLOCK, useValue: () => Date.now() + clock.offsetMs }],
    });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const post = (driver: DingTalkUserDriver, text: string) =>
    driver.postRobotMessage(stack.http.webhookUrl, driver.robotMessage({ conversationType: 'private', senderStaffId: 'staff-rotate', text }));

  it(profile === '3.7' ? 'takes effect once integrationCacheMs has passed' : 'takes effect at once', async () => {
    const before = stack.http.driver;
    const after = new DingTalkUserDriver({ simulator: stack.simulator, app: { ...stack.http.app, clientSecret: ROTATED } });
    expect((await post(before, 'before the rotation')).status).toBe(200);

    // A 3.17 host checks the new credentials against DingTalk before it saves them.
    stack.simulator.apps.register({ ...stack.http.app, clientSecret: ROTATED });
    await stack.host.updateIntegration(stack.http.id, { ...stack.http.app, clientSecret: ROTATED, mode: 'http' });

    if (profile === '3.7') {
      // Nobody told the plugin: the record it read a moment ago still verifies…
      clock.offsetMs += TTL / 2;
      expect((await post(before, 'within the ttl')).status).toBe(200);
      // …until it is that old.
      clock.offsetMs += TTL / 2;
    }
    const stale = await post(before, 'signed with the old secret');
    expect(stale).toMatchObject({ status: 401, body: expect.objectContaining({ code: 'dingtalk_signature_invalid' }) });
    expect((await post(after, 'signed with the new secret')).status).toBe(200);
  });
});
