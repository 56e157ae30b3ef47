import { randomUUID } from 'node:crypto';
import { IntakeSpool } from '../../../src/intake/spool-file';
import { StreamReceiver } from '../../../src/intake/stream.receiver';
import { intakeCounts } from '../../support/counts';
import { waitFor } from '../../support/wait-for';
import { STREAM_APP, startPluginHost, type PluginHost } from '../../support/plugin-host';

const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';
const CARD_TOPIC = '/v1.0/card/instances/callback';
let stack: PluginHost;

beforeAll(async () => {
  stack = await startPluginHost();
  await stack.simulator.gateway.waitForConnection(STREAM_APP.clientId);
});

afterEach(() => gateway().setRedelivery('none'));

afterAll(async () => {
  await stack?.close();
});

const counts = () => intakeCounts(stack.host.hostDataSource);
const gateway = () => stack.simulator.gateway;

function robotData(text = 'hi from stream') {
  return {
    msgtype: 'text',
    msgId: `msg-${randomUUID()}`,
    createAt: Date.now(),
    conversationType: '1',
    conversationId: 'cid-stream-private',
    senderId: '$:LWCP_v1:$sender',
    senderStaffId: 'user100',
    senderNick: 'Stream User',
    chatbotUserId: '$:LWCP_v1:$bot',
    robotCode: STREAM_APP.robotCode,
    isInAtList: true,
    text: { content: text },
    sessionWebhook: `${stack.simulator.baseUrl}/robot/sendBySession?session=s1`,
    sessionWebhookExpiredTime: Date.now() + 5_400_000,
  };
}

describe('Stream mode through the real DWClient', () => {
  it('connected at bootstrap and reports it on the authenticated status route', async () => {
    const response = await fetch(`${stack.host.url}/api/dingtalk/status/${stack.stream.id}`, { headers: { authorization: stack.host.authorization } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ integrationId: stack.stream.id, mode: 'stream', state: 'connected' });
    const anonymous = await fetch(`${stack.host.url}/api/dingtalk/status/${stack.stream.id}`);
    expect(anonymous.status).toBe(401);
  });

  it('stores a robot message, then ACKs it; a redelivery ACKs without a second job (P7, P9)', async () => {
    const data = robotData();
    const before = await counts();
    const ack = await gateway().pushCallback(STREAM_APP.clientId, ROBOT_TOPIC, data);
    expect(ack).toMatchObject({ acked: true, code: 200 });
    // The ACK arrived, so the commit had happened: the rows are there already.
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    const again = await gateway().redeliver(ack.messageId);
    expect(again).toMatchObject({ acked: true, code: 200 });
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });

  it('stores a card callback and ACKs it', async () => {
    const before = await counts();
    const ack = await gateway().pushCallback(STREAM_APP.clientId, CARD_TOPIC, {
      type: 'actionCallback',
      outTrackId: `card-${randomUUID()}`,
      userId: 'user100',
      corpId: 'dingcorp',
      content: JSON.stringify({ cardPrivateData: { actionIds: ['end'], params: { action: 'dingtalk:end' } } }),
    });
    expect(ack).toMatchObject({ acked: true, code: 200 });
    expect((await counts()).jobs).toBe(before.jobs + 1);
  });

  it('acknowledges while the write fails (the event is spooled), stores it once the database answers, and a redelivery adds nothing (P7)', async () => {
    const ds = stack.host.hostDataSource;
    const spool = stack.host.get(IntakeSpool);
    const data = robotData('during an outage');
    const before = await counts();
    await ds.query('ALTER TABLE plugin_dingtalk_handoff RENAME TO plugin_dingtalk_handoff_away');
    try {
      // DingTalk does not push a robot message again: the ACK must come, once the event is on disk.
      expect(await gateway().pushCallback(STREAM_APP.clientId, ROBOT_TOPIC, data)).toMatchObject({ acked: true, code: 200 });
      expect(spool.status().depth).toBe(1);
    } finally {
      await ds.query('ALTER TABLE plugin_dingtalk_handoff_away RENAME TO plugin_dingtalk_handoff');
    }
    await waitFor(() => spool.status().depth === 0, 'the spool to drain');
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
    expect(await gateway().pushCallback(STREAM_APP.clientId, ROBOT_TOPIC, data)).toMatchObject({ acked: true, code: 200 });
    expect(await counts()).toEqual({ inbox: before.inbox + 1, jobs: before.jobs + 1 });
  });

  it('reconnects after the socket drops; a message pushed meanwhile is not lost', async () => {
    // Kept for a new connection only by a gateway that pushes again (the SDK's claim, not the FAQ's).
    gateway().setRedelivery('sdk-60s');
    const receiver = stack.host.get(StreamReceiver);
    const reconnectsBefore = receiver.status(stack.stream.id)?.reconnectCount ?? 0;
    gateway().dropSocket(STREAM_APP.clientId);
    const data = robotData('while reconnecting');
    const before = await counts();
    const ack = await gateway().pushCallback(STREAM_APP.clientId, ROBOT_TOPIC, data);
    expect(ack).toMatchObject({ acked: true, code: 200 });
    expect((await counts()).jobs).toBe(before.jobs + 1);
    expect(receiver.status(stack.stream.id)?.reconnectCount).toBeGreaterThan(reconnectsBefore);
  });

  it('reconnects on a disconnect frame without losing a message pushed around it', async () => {
    gateway().setRedelivery('sdk-60s');
    gateway().sendDisconnect(STREAM_APP.clientId, { closeAfterMs: 200 });
    const before = await counts();
    const ack = await gateway().pushCallback(STREAM_APP.clientId, ROBOT_TOPIC, robotData('around the rebalance'));
    expect(ack).toMatchObject({ acked: true, code: 200 });
    expect((await counts()).jobs).toBe(before.jobs + 1);
    await gateway().waitForConnection(STREAM_APP.clientId);
  });

  it('stops the connection when the integration is removed, at the next sync', async () => {
    const receiver = stack.host.get(StreamReceiver);
    // The app exists first: a 3.17 host checks the credentials when the integration is saved.
    stack.simulator.apps.register({ clientId: 'dingsecondapp', clientSecret: STREAM_APP.clientSecret });
    const id = await stack.host.addIntegration({ options: { ...STREAM_APP, clientId: 'dingsecondapp', mode: 'stream' } });
    await receiver.sync();
    await gateway().waitForConnection('dingsecondapp');
    await waitFor(() => receiver.status(id)?.state === 'connected', 'the second connection');
    await stack.host.removeIntegration(id);
    await receiver.sync();
    expect(receiver.status(id)).toBeUndefined();
  });
});
