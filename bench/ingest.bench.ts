import { randomUUID } from 'node:crypto';
import { createCallbackCipher, signRobotRequest } from '../src/dingtalk/crypto';
import { startHost } from '../sandbox/host/harness';
import { createSimulator } from '../sandbox/simulator';
import { DingTalkUserDriver } from '../sandbox/simulator/user-driver';
import { startBareEndpoint } from './bare-endpoint';
import { load, type LoadResult } from './load';

const APP = {
  clientId: 'dingbenchapp0001',
  clientSecret: 'bench-app-secret-0001',
  robotCode: 'dingbenchapp0001',
  callbackToken: 'benchToken',
  callbackAesKey: 'BenchAesKey0123456789abcdefghijklmnopqrstuv',
};

const WARM_UP_SECONDS = 2;

export interface IngestFigures {
  bare: LoadResult;
  robot: LoadResult;
  event: LoadResult;
}

/**
 * Ingest path against a bare Nest endpoint, in one run on one machine: signed robot messages and
 * encrypted events, each verified, parsed and durably written (inbox row + job, one transaction on
 * the PostgreSQL server) before the answer. The worker is off so only intake is measured.
 */
export async function ingestBench(databaseUrl: string, seconds: number, connections: number): Promise<IngestFigures> {
  const simulator = await createSimulator();
  simulator.apps.register(APP);
  const integrationId = randomUUID();
  const host = await startHost({
    database: { url: databaseUrl },
    integrations: [{ id: integrationId, options: { ...APP, mode: 'http' } }],
    pluginConfig: { apiBaseUrl: simulator.baseUrl, oapiBaseUrl: simulator.baseUrl, worker: { enabled: false }, reconcileIntervalMs: 0 },
    logger: ['error'],
  });
  const bare = await startBareEndpoint();
  const driver = new DingTalkUserDriver({ simulator, app: APP });
  const cipher = createCallbackCipher({ token: APP.callbackToken, aesKey: APP.callbackAesKey, ownerKey: APP.clientId });
  const webhook = `${host.url}/api/dingtalk/webhook/${integrationId}`;
  const template = driver.robotMessage({ conversationType: 'private', text: 'benchmark message', senderStaffId: 'bench-user' });
  const robotBody = () => JSON.stringify({ ...template, msgId: randomUUID() });
  // The robot signature covers only the timestamp header, valid for an hour: sign once.
  const timestamp = String(Date.now());
  const robotHeaders = { timestamp, sign: signRobotRequest(timestamp, APP.clientSecret) };

  try {
    // Each endpoint first gets an unmeasured warm-up (JIT, pool connections, first pages of the
    // tables), so no entry pays for being the first to touch them.
    const bareLoad = (duration: number) => load({ name: 'bare Nest endpoint (parse only)', url: bare.url, connections, durationSeconds: duration, headers: () => ({}), body: robotBody });
    const robotLoad = (duration: number) => load({ name: 'robot message (verify + store)', url: webhook, connections, durationSeconds: duration, headers: () => robotHeaders, body: robotBody });
    const figures: IngestFigures = {
      bare: await bareLoad(WARM_UP_SECONDS).then(() => bareLoad(seconds)),
      robot: await robotLoad(WARM_UP_SECONDS).then(() => robotLoad(seconds)),
      event: await eventLoad(webhook, cipher, connections, WARM_UP_SECONDS).then(() => eventLoad(webhook, cipher, connections, seconds)),
    };
    return figures;
  } finally {
    await bare.close();
    await host.close();
    await simulator.close();
  }
}

/** Encrypted events are signed over the ciphertext, so each request gets its own query string. */
async function eventLoad(webhook: string, cipher: ReturnType<typeof createCallbackCipher>, connections: number, seconds: number): Promise<LoadResult> {
  const next = () => {
    const signed = cipher.encrypt(JSON.stringify({ EventType: 'chat_add_member', eventId: randomUUID(), ChatId: 'chat1', UserId: ['u1'] }));
    return { query: new URLSearchParams({ signature: signed.signature, timestamp: signed.timestamp, nonce: signed.nonce }).toString(), body: JSON.stringify({ encrypt: signed.encrypt }) };
  };
  const path = new URL(webhook).pathname;
  let current = { query: '', body: '' };
  return load({
    name: 'encrypted event (decrypt + store)',
    url: webhook,
    connections,
    durationSeconds: seconds,
    headers: () => ({}),
    body: () => {
      current = next();
      return current.body;
    },
    path: () => `${path}?${current.query}`,
  });
}
