import { Logger } from '@nestjs/common';
import type { PluginDatabase } from '../../../src/core/plugin-database.service';
import { TriggerBindingRepository, type Database } from '../../../src/persistence';
import type { RunnerLogger } from '../../../src/runner/expert-runner.port';
import { DingTalkTriggerStrategy } from '../../../src/trigger/dingtalk-trigger.strategy';
import { TriggerCallbacks } from '../../../src/trigger/trigger-callbacks';
import { TRIGGER_CHECK } from '../../../src/trigger/trigger-checklist';
import { TriggerPublisher } from '../../../src/trigger/trigger-publisher';
import { TriggerValidator } from '../../../src/trigger/trigger-validator';
import { CaptureLogger } from '../../support/capture-logger';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';
import { integrationRecord, MemoryIntegrationRecords } from './support/fakes';

function capturingLogger(): RunnerLogger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: record('debug'), log: record('log'), warn: record('warn'), error: record('error') };
}

const downDatabase = { open: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) };

describe('DingTalk trigger: validate, publish, stop', () => {
  let t: TestDatabase;
  let records: MemoryIntegrationRecords;
  let callbacks: TriggerCallbacks;
  let bindings: TriggerBindingRepository;
  let database: { open(): Promise<Database> };

  beforeAll(async () => {
    t = await openTestDatabase();
    bindings = new TriggerBindingRepository(t.db);
    database = { open: async () => t.db };
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await resetTables(t.db);
    records = new MemoryIntegrationRecords();
    records.add(integrationRecord('int-1'));
    records.add(integrationRecord('int-lark', {}, 'lark'));
    callbacks = new TriggerCallbacks();
  });

  describe('validate', () => {
    const codes = async (config: unknown, xpertId = 'xpert-a', validator = new TriggerValidator({ database, integrations: records })) =>
      (await validator.validate({ xpertId, config, node: { key: 'Trigger_1' } as never })).map((item) => item.ruleCode);

    it('a good config has no items', async () => {
      expect(await codes({ integrationId: 'int-1' })).toEqual([]);
      expect(await codes({ integrationId: 'int-1', sessionTimeoutSeconds: 60, summaryWindowSeconds: 300, xpertApiBaseUrl: 'https://x.example.com' })).toEqual([]);
    });

    it('returns each stable code, with a message in both languages', async () => {
      expect(await codes({})).toEqual([TRIGGER_CHECK.integrationMissing]);
      expect(await codes(undefined)).toEqual([TRIGGER_CHECK.integrationMissing]);
      expect(await codes({ integrationId: 'int-gone' })).toEqual([TRIGGER_CHECK.integrationNotFound]);
      expect(await codes({ integrationId: 'int-lark' })).toEqual([TRIGGER_CHECK.integrationNotDingTalk]);
      expect(await codes({ integrationId: 'int-1', sessionTimeoutSeconds: 59 })).toEqual([TRIGGER_CHECK.sessionTimeoutRange]);
      expect(await codes({ integrationId: 'int-1', sessionTimeoutSeconds: 604_801 })).toEqual([TRIGGER_CHECK.sessionTimeoutRange]);
      expect(await codes({ integrationId: 'int-1', summaryWindowSeconds: -1 })).toEqual([TRIGGER_CHECK.summaryWindowRange]);
      expect(await codes({ integrationId: 'int-1', summaryWindowSeconds: 301 })).toEqual([TRIGGER_CHECK.summaryWindowRange]);
      expect(await codes({ integrationId: 'int-1', summaryWindowSeconds: 'abc' })).toEqual([TRIGGER_CHECK.summaryWindowRange]);
      expect(await codes({ integrationId: 'int-1', xpertApiBaseUrl: 'ftp://x' })).toEqual([TRIGGER_CHECK.apiBaseUrlInvalid]);

      const [item] = await new TriggerValidator({ database, integrations: records }).validate({ xpertId: 'x', config: { integrationId: 'int-gone' }, node: { key: 'Trigger_1' } as never });
      expect(item).toMatchObject({ node: 'Trigger_1', field: 'integrationId', value: 'int-gone', level: 'error' });
      expect(item.message.en_US).toMatch(/does not exist/);
      expect(item.message.zh_Hans).toMatch(/不存在/);
    });

    it('a selected scope with nothing selected is reported on its field', async () => {
      expect(await codes({ integrationId: 'int-1', privateChatScope: 'selected' })).toEqual([TRIGGER_CHECK.privateUsersEmpty]);
      expect(await codes({ integrationId: 'int-1', groupScope: 'selected', groups: [] })).toEqual([TRIGGER_CHECK.groupsEmpty]);
      expect(await codes({ integrationId: 'int-1', groupMemberScope: 'selected', groupMembers: ' , ' })).toEqual([TRIGGER_CHECK.groupMembersEmpty]);
      expect(await codes({ integrationId: 'int-1', privateChatScope: 'selected', privateChatUsers: ['u1'], groupScope: 'selected', groups: ['cidA'] })).toEqual([]);
      const [item] = await new TriggerValidator({ database, integrations: records }).validate({ xpertId: 'x', config: { integrationId: 'int-1', groupScope: 'selected' } });
      expect(item).toMatchObject({ field: 'groups', level: 'error' });
      expect(item.message.zh_Hans).toMatch(/未选择任何群/);
    });

    it('reports an integration bound to another expert while enabled; not for the same expert or a disabled one', async () => {
      await bindings.upsert({ integrationId: 'int-1', xpertId: 'xpert-b' });
      expect(await codes({ integrationId: 'int-1' }, 'xpert-a')).toEqual([TRIGGER_CHECK.integrationBound]);
      expect(await codes({ integrationId: 'int-1' }, 'xpert-b')).toEqual([]);
      expect(await codes({ integrationId: 'int-1', enabled: false }, 'xpert-a')).toEqual([]);
      await bindings.upsert({ integrationId: 'int-1', xpertId: 'xpert-b', enabled: false });
      expect(await codes({ integrationId: 'int-1' }, 'xpert-a')).toEqual([]);
    });

    it('a check that cannot run is a warning, never a failure', async () => {
      const validator = new TriggerValidator({ database: downDatabase, integrations: records });
      const items = await validator.validate({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } });
      expect(items).toEqual([expect.objectContaining({ ruleCode: TRIGGER_CHECK.unchecked, level: 'warning' })]);
      records.failing = true;
      expect((await codes({ integrationId: 'int-1' })).length).toBe(1);
    });
  });

  describe('publish and stop', () => {
    it('binds the integration to the expert with its settings and the integration tenant/org; re-publish is idempotent', async () => {
      const publisher = new TriggerPublisher({ database, integrations: records, callbacks });
      const first = jest.fn();
      const config = { integrationId: 'int-1', sessionTimeoutSeconds: 120, summaryWindowSeconds: 5, xpertApiKey: 'sk-x-1' };
      const outcome = await publisher.publish({ xpertId: 'xpert-a', config }, first);
      expect(outcome.status).toBe('bound');
      const second = jest.fn();
      await publisher.publish({ xpertId: 'xpert-a', config }, second);

      const all = await bindings.list();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({
        integrationId: 'int-1',
        xpertId: 'xpert-a',
        tenantId: 'tenant-1',
        organizationId: 'org-1',
        enabled: true,
        config: { sessionTimeoutSeconds: 120, summaryWindowSeconds: 5, xpertApiKey: 'sk-x-1' },
      });
      expect(outcome.status === 'bound' && outcome.binding.id).toBe(all[0].id);
      expect(callbacks.get('xpert-a')).toBe(second);
    });

    it('out-of-range numbers are clamped instead of failing the publish', async () => {
      const publisher = new TriggerPublisher({ database, integrations: records, callbacks });
      await publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1', sessionTimeoutSeconds: 5, summaryWindowSeconds: 1000 } }, jest.fn());
      expect((await bindings.findByIntegration('int-1'))?.config).toEqual({ sessionTimeoutSeconds: 60, summaryWindowSeconds: 300 });
    });

    it('a conflicting publish changes nothing, registers nothing, logs its code and does not reject', async () => {
      const held = await bindings.upsert({ integrationId: 'int-1', xpertId: 'xpert-b', config: { sessionTimeoutSeconds: 3600 } });
      const logger = capturingLogger();
      const publisher = new TriggerPublisher({ database, integrations: records, callbacks, logger });
      const outcome = await publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1', sessionTimeoutSeconds: 60 } }, jest.fn());
      expect(outcome).toEqual({ status: 'conflict', code: TRIGGER_CHECK.integrationBound, heldBy: 'xpert-b' });
      expect(await bindings.findByIntegration('int-1')).toEqual(held);
      expect(callbacks.has('xpert-a')).toBe(false);
      expect(logger.lines.join('\n')).toContain(`code=${TRIGGER_CHECK.integrationBound}`);
    });

    it('takes over an integration whose binding is disabled', async () => {
      await bindings.upsert({ integrationId: 'int-1', xpertId: 'xpert-b', enabled: false });
      const publisher = new TriggerPublisher({ database, integrations: records, callbacks });
      expect((await publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } }, jest.fn())).status).toBe('bound');
      expect(await bindings.findByIntegration('int-1')).toMatchObject({ xpertId: 'xpert-a', enabled: true });
    });

    it('never rejects: database down, host table down, unknown integration, nonsense params', async () => {
      const logger = capturingLogger();
      const down = new TriggerPublisher({ database: downDatabase, integrations: records, callbacks, logger });
      const callback = jest.fn();
      await expect(down.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } }, callback)).resolves.toEqual({ status: 'failed', code: 'ECONNREFUSED' });
      // The binding written by an earlier publish survives restarts; the callback must be there for it.
      expect(callbacks.get('xpert-a')).toBe(callback);
      expect(logger.lines.join('\n')).toContain('code=ECONNREFUSED');

      const publisher = new TriggerPublisher({ database, integrations: records, callbacks });
      await expect(publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-gone' } }, jest.fn())).resolves.toMatchObject({ status: 'skipped', code: TRIGGER_CHECK.integrationNotFound });
      await expect(publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-lark' } }, jest.fn())).resolves.toMatchObject({ status: 'skipped' });
      await expect(publisher.publish(undefined as never, jest.fn())).resolves.toMatchObject({ status: 'skipped' });
      await expect(publisher.publish({ xpertId: 'xpert-a', config: null as never }, jest.fn())).resolves.toMatchObject({ status: 'skipped' });
      records.failing = true;
      await expect(publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } }, jest.fn())).resolves.toMatchObject({ status: 'failed' });
      expect(await bindings.list()).toEqual([]);
    });

    it('the Nest strategy: meta, bootstrap skip, and publish resolves even when the database is down', async () => {
      // The strategy logs through Nest's Logger: captured here and asserted, not printed.
      const logs = new CaptureLogger();
      Logger.overrideLogger(logs);
      try {
        const strategy = new DingTalkTriggerStrategy(downDatabase as unknown as PluginDatabase, records, callbacks);
        expect(strategy.meta.name).toBe('dingtalk');
        expect(strategy.bootstrap).toEqual({ mode: 'skip' });
        await expect(strategy.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } as never }, jest.fn())).resolves.toBeUndefined();
        expect(callbacks.has('xpert-a')).toBe(true);
        // stop resolves with the database down too, and still drops this replica's callback.
        await expect(strategy.stop({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } as never })).resolves.toBeUndefined();
        expect(callbacks.has('xpert-a')).toBe(false);
        expect(logs.text()).toContain('publish could not write the binding code=ECONNREFUSED');
      } finally {
        Logger.overrideLogger(['error', 'warn', 'log']);
      }
    });

    it('stop removes the binding and the callback, but never a successor', async () => {
      const publisher = new TriggerPublisher({ database, integrations: records, callbacks });
      await publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } }, jest.fn());
      await publisher.stop({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } });
      expect(await bindings.findByIntegration('int-1')).toBeNull();
      expect(callbacks.has('xpert-a')).toBe(false);

      await bindings.upsert({ integrationId: 'int-1', xpertId: 'xpert-b' });
      await publisher.stop({ xpertId: 'xpert-a', config: { integrationId: 'int-1' } });
      expect(await bindings.findByIntegration('int-1')).toMatchObject({ xpertId: 'xpert-b' });
      await expect(new TriggerPublisher({ database: downDatabase, integrations: records, callbacks }).stop({ xpertId: 'x', config: { integrationId: 'int-1' } })).resolves.toBeUndefined();
    });

    it('a disabled trigger is stored disabled', async () => {
      const publisher = new TriggerPublisher({ database, integrations: records, callbacks });
      await publisher.publish({ xpertId: 'xpert-a', config: { integrationId: 'int-1', enabled: false } }, jest.fn());
      expect(await bindings.findByIntegration('int-1')).toMatchObject({ xpertId: 'xpert-a', enabled: false });
    });
  });
});
