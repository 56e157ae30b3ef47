import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallbackCipher, signCardCallback, signRobotRequest } from '../../../src/dingtalk/crypto';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';

// The driver plays DingTalk towards our webhook; here a tiny receiver captures what it sends.

const APP = {
  clientId: 'dingdriverapp',
  clientSecret: 'driver-secret',
  callbackToken: 'xpert-test-token',
  callbackAesKey: 'XpertDingTalkTestAesKey0123456789abcdefghik',
  cardCallbackSecret: 'xpert-card-secret',
};

interface Captured {
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

let sim: DingTalkSimulator;
let receiver: Server;
let receiverUrl: string;
let captured: Captured[] = [];

beforeAll(async () => {
  sim = await createSimulator();
  sim.apps.register(APP);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sim.close();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(() => {
  captured = [];
  sim.clearMessages();
});

describe('DingTalkUserDriver', () => {
  const driver = () => new DingTalkUserDriver({ simulator: sim, app: APP, now: () => 1_700_000_000_000 });

  it('builds a group robot message as DingTalk does, with a working sessionWebhook', async () => {
    const body = driver().robotMessage({ conversationType: 'group', text: 'hello', senderStaffId: 'staff1', conversationId: 'cidGroup1' });
    expect(body).toMatchObject({
      conversationType: '2',
      conversationId: 'cidGroup1',
      senderStaffId: 'staff1',
      isInAtList: true,
      msgtype: 'text',
      text: { content: ' hello' },
      robotCode: APP.clientId,
      createAt: 1_700_000_000_000,
      sessionWebhookExpiredTime: 1_700_000_000_000 + 90 * 60_000,
    });
    expect(body.sessionWebhook).toMatch(new RegExp(`^${sim.baseUrl}/robot/sendBySession\\?session=`));
    const reply = await fetch(body.sessionWebhook as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ msgtype: 'text', text: { content: 'hi back' } }) });
    expect(await reply.json()).toMatchObject({ errcode: 0 });
    expect(sim.messages()).toEqual([expect.objectContaining({ kind: 'webhook', target: { type: 'group', id: 'cidGroup1' }, content: { msgtype: 'text', text: { content: 'hi back' } } })]);
  });

  it('keeps one private conversation per sender and marks un-@ group messages', () => {
    const d = driver();
    const a = d.robotMessage({ conversationType: 'private', text: 'x', senderStaffId: 's1' });
    const b = d.robotMessage({ conversationType: 'private', text: 'y', senderStaffId: 's1' });
    expect(a.conversationId).toEqual(b.conversationId);
    expect(a.msgId).not.toEqual(b.msgId);
    expect(a.conversationType).toBe('1');
    const quiet = d.robotMessage({ conversationType: 'group', text: 'z', senderStaffId: 's1', atBot: false });
    expect(quiet).toMatchObject({ isInAtList: false, atUsers: [], text: { content: 'z' } });
  });

  it('signs robot messages with the app secret and lets a test forge the sign', async () => {
    const d = driver();
    const body = d.robotMessage({ conversationType: 'private', text: 'x', senderStaffId: 's1' });
    expect((await d.postRobotMessage(`${receiverUrl}/robot`, body)).status).toBe(200);
    await d.postRobotMessage(`${receiverUrl}/robot`, body, { sign: 'forged' });
    expect(captured[0].headers.timestamp).toBe('1700000000000');
    expect(captured[0].headers.sign).toBe(signRobotRequest('1700000000000', APP.clientSecret));
    expect(captured[0].body).toEqual(body);
    expect(captured[1].headers.sign).toBe('forged');
  });

  it('encrypts and signs an event callback the receiver can decrypt', async () => {
    const event = { EventType: 'chat_add_member', Note: '测试' };
    await driver().postEvent(`${receiverUrl}/events`, event, { nonce: 'n0nce' });
    const url = new URL(captured[0].url, receiverUrl);
    const cipher = createCallbackCipher({ token: APP.callbackToken, aesKey: APP.callbackAesKey, ownerKey: APP.clientId });
    const plain = cipher.decrypt({
      signature: url.searchParams.get('signature') ?? '',
      timestamp: url.searchParams.get('timestamp') ?? '',
      nonce: url.searchParams.get('nonce') ?? '',
      encrypt: captured[0].body.encrypt,
    });
    expect(JSON.parse(plain)).toEqual(event);
    expect(url.searchParams.get('nonce')).toBe('n0nce');
  });

  it('builds a signed card callback', async () => {
    await driver().postCardCallback(`${receiverUrl}/card`, { outTrackId: 'track-9', userId: 'u1', params: { action: 'accept' }, actionId: 'btn1' });
    const { headers, body } = captured[0];
    expect(headers['x-ddpaas-signature-timestamp']).toBe('1700000000000');
    expect(headers['x-ddpaas-signature']).toBe(signCardCallback('1700000000000', APP.cardCallbackSecret));
    expect(body).toMatchObject({ type: 'actionCallback', outTrackId: 'track-9', userId: 'u1' });
    expect(JSON.parse(body.content)).toEqual({ cardPrivateData: { actionIds: ['btn1'], params: { action: 'accept' } } });
  });
});
