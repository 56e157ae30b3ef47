import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_HTTP } from '../../../sandbox/demo';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import { DingTalkUserDriver } from '../../../sandbox/simulator/user-driver';
import { IntakeSpool } from '../../../src/intake/spool-file';
import { CaptureLogger } from '../../support/capture-logger';
import { startPluginHost } from '../../support/plugin-host';
import { waitFor } from '../../support/wait-for';

// DingTalk does not push a robot message again, so an event the database cannot take must still be
// acknowledged — from the local spool — and answered once the database is back. The whole stack:
// signed HTTP callbacks, the plugin in the host harness, PGlite, the demo expert.

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const HANDOFF = 'plugin_dingtalk_handoff';
const takeTableAway = (s: Sandbox) => s.host.hostDataSource.query(`ALTER TABLE ${HANDOFF} RENAME TO ${HANDOFF}_away`);
const bringTableBack = (s: Sandbox) => s.host.hostDataSource.query(`ALTER TABLE ${HANDOFF}_away RENAME TO ${HANDOFF}`);

function driverOf(sandbox: Sandbox) {
  return new DingTalkUserDriver({ simulator: sandbox.simulator, app: DEMO_HTTP.options });
}
const webhookOf = (sandbox: Sandbox) => `${sandbox.url}/api/dingtalk/webhook/${DEMO_HTTP.id}`;

/** What the bot sent to one person's private chat. */
const sentTo = (sandbox: Sandbox, staffId: string) => sandbox.simulator.messages().filter((m) => m.target.type === 'user' && m.target.id === staffId);

async function inboxRows(sandbox: Sandbox, eventId: string): Promise<number> {
  const [row] = await sandbox.host.hostDataSource.query('SELECT count(*)::int AS n FROM plugin_dingtalk_inbox WHERE event_id = $1', [eventId]);
  return row.n;
}

async function spoolStatus(sandbox: Sandbox): Promise<{ depth: number; bytes: number; lastError?: string }> {
  const response = await fetch(`${sandbox.url}/api/dingtalk/status/${DEMO_HTTP.id}`, { headers: { authorization: sandbox.host.authorization } });
  return ((await response.json()) as { spool: { depth: number; bytes: number; lastError?: string } }).spool;
}

async function answeredJobs(sandbox: Sandbox, staffId: string): Promise<number> {
  const [row] = await sandbox.host.hostDataSource.query(`SELECT count(*)::int AS n FROM ${HANDOFF} WHERE status = 'done' AND kind = 'message' AND session_key LIKE $1`, [`%${staffId}%`]);
  return row.n;
}

describe('intake spool with the whole stack', () => {
  it('acknowledges while the database cannot store, drains once it answers, and answers once', async () => {
    const logs = new CaptureLogger();
    const sandbox = await startSandbox({ port: 0, logger: logs, pluginConfig: { spool: { dir: tempDir('spool-it-'), drainIntervalMs: 50 }, reconcileIntervalMs: 0 } });
    try {
      const driver = driverOf(sandbox);
      // A baseline: how many messages one answer of the demo expert is, with the database up.
      const baselineUser = `base-${randomUUID().slice(0, 8)}`;
      expect((await driver.postRobotMessage(webhookOf(sandbox), driver.robotMessage({ conversationType: 'private', text: 'hello', senderStaffId: baselineUser }))).status).toBe(200);
      await waitFor(async () => (await answeredJobs(sandbox, baselineUser)) === 1, 'the baseline answer');
      const perAnswer = sentTo(sandbox, baselineUser).length;
      expect(perAnswer).toBeGreaterThan(0);

      const user = `spool-${randomUUID().slice(0, 8)}`;
      const message = driver.robotMessage({ conversationType: 'private', text: 'hello', senderStaffId: user });
      await takeTableAway(sandbox);
      try {
        expect(await driver.postRobotMessage(webhookOf(sandbox), message)).toEqual({ status: 200, body: { msgtype: 'empty' } });
        // The same message again (a late duplicate) is spooled too; the inbox key makes it one.
        expect((await driver.postRobotMessage(webhookOf(sandbox), message)).status).toBe(200);
        expect(await spoolStatus(sandbox)).toMatchObject({ depth: 2 });
        expect(await inboxRows(sandbox, String(message.msgId))).toBe(0);
        // The operator is told, without the message id (a person's message) in the line.
        expect(logs.text()).toMatch(/intake spooled event #[0-9a-f]+ of integration \S+: database write failed \(42P01\)/);
        expect(logs.text()).not.toContain(String(message.msgId));
      } finally {
        await bringTableBack(sandbox);
      }
      await waitFor(async () => (await spoolStatus(sandbox)).depth === 0, 'the spool to drain');
      expect(await spoolStatus(sandbox)).toEqual({ enabled: true, depth: 0, bytes: 0 });
      expect(await inboxRows(sandbox, String(message.msgId))).toBe(1);
      await waitFor(async () => (await answeredJobs(sandbox, user)) === 1, 'the spooled message to be answered');
      expect(sentTo(sandbox, user)).toHaveLength(perAnswer);
    } finally {
      await sandbox.close();
    }
  });

  it('a restarted replica drains what it spooled before, at boot, and answers it', async () => {
    const dataDir = join(tempDir('spool-restart-db-'), 'pg');
    const spool = { dir: tempDir('spool-restart-'), drainIntervalMs: 600_000 };
    const user = `restart-${randomUUID().slice(0, 8)}`;
    const first = await startSandbox({ port: 0, dataDir, logger: new CaptureLogger(), pluginConfig: { spool, reconcileIntervalMs: 0 } });
    let message: Record<string, unknown>;
    try {
      const driver = driverOf(first);
      message = driver.robotMessage({ conversationType: 'private', text: 'hello', senderStaffId: user });
      await takeTableAway(first);
      try {
        expect((await driver.postRobotMessage(webhookOf(first), message)).status).toBe(200);
      } finally {
        await bringTableBack(first);
      }
      // The drain interval is long: only a boot drain can move it now.
      expect(await spoolStatus(first)).toMatchObject({ depth: 1 });
    } finally {
      await first.close();
    }
    const second = await startSandbox({ port: 0, dataDir, logger: new CaptureLogger(), pluginConfig: { spool, reconcileIntervalMs: 0 } });
    try {
      await waitFor(async () => (await answeredJobs(second, user)) === 1, 'the spooled message to be answered after the restart');
      expect(await spoolStatus(second)).toMatchObject({ depth: 0 });
      expect(await inboxRows(second, String(message!.msgId))).toBe(1);
      expect(sentTo(second, user).length).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  });

  it('answers 503 with a coded error log only when the spool is full', async () => {
    const logger = new CaptureLogger();
    const stack = await startPluginHost({ logger, withStream: false, pluginConfig: { worker: { enabled: false }, spool: { dir: tempDir('spool-full-'), maxEvents: 1 } } });
    const ds = stack.host.hostDataSource;
    try {
      const msg = () => stack.http.driver.robotMessage({ conversationType: 'private', text: 'hi', senderStaffId: 'user-full', msgId: `msg-${randomUUID()}` });
      await ds.query(`ALTER TABLE ${HANDOFF} RENAME TO ${HANDOFF}_away`);
      try {
        expect((await stack.http.driver.postRobotMessage(stack.http.webhookUrl, msg())).status).toBe(200);
        const refused = await stack.http.driver.postRobotMessage(stack.http.webhookUrl, msg());
        expect(refused).toMatchObject({ status: 503, body: { code: 'dingtalk_intake_unavailable' } });
        expect(stack.host.get(IntakeSpool).status()).toMatchObject({ depth: 1, lastError: 'dingtalk_spool_full' });
        expect(logger.text()).toContain('code=dingtalk_spool_full');
      } finally {
        await ds.query(`ALTER TABLE ${HANDOFF}_away RENAME TO ${HANDOFF}`);
      }
    } finally {
      await stack.close();
    }
  });

  it('keeps an entry the database refuses (while it answers) without holding up the ones behind it', async () => {
    const stack = await startPluginHost({ withStream: false, pluginConfig: { worker: { enabled: false }, spool: { dir: tempDir('spool-poison-'), drainIntervalMs: 50 } } });
    try {
      const spool = stack.host.get(IntakeSpool);
      // jsonb refuses a NUL character (22P05): this entry can never be stored.
      await spool.append({ integrationId: stack.http.id, eventId: `poison-${randomUUID()}`, kind: 'message', job: { kind: 'message', sessionKey: 'k', payload: { text: 'a\u0000b' } } });
      const message = stack.http.driver.robotMessage({ conversationType: 'private', text: 'behind the poison', senderStaffId: 'user-poison', msgId: `msg-${randomUUID()}` });
      // Something is spooled, so this one queues behind it, in the spool.
      expect((await stack.http.driver.postRobotMessage(stack.http.webhookUrl, message)).status).toBe(200);
      await waitFor(async () => {
        const [row] = await stack.host.hostDataSource.query('SELECT count(*)::int AS n FROM plugin_dingtalk_inbox WHERE event_id = $1', [message.msgId]);
        return row.n === 1;
      }, 'the entry behind the refused one to be stored');
      // The stored entry leaves the spool just after its row commits; only the refused one stays.
      await waitFor(() => spool.status().lastError === 'dingtalk_spool_entry_refused' && spool.status().depth === 1, 'the refusal to show and the stored entry to leave');
      expect(spool.status()).toMatchObject({ depth: 1, lastError: 'dingtalk_spool_entry_refused' });
    } finally {
      await stack.close();
    }
  });
});
