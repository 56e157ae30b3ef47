import type { IntegrationRecord } from '../../../src/kernel/integration';
import type { IntegrationRecords } from '../../../src/host/integration-records.port';
import { IntegrationResolver } from '../../../src/integration/integration-resolver';

// During a database outage an HTTP callback must still be verified (so it can be spooled): the
// resolver falls back to the record it last read, and only to that.

const record: IntegrationRecord<Record<string, unknown>> = {
  id: 'int-1',
  tenantId: 't',
  organizationId: 'o',
  name: 'bot',
  provider: 'dingtalk',
  options: { mode: 'stream', clientId: 'dingapp', clientSecret: 'secret-0123456789' },
};

function records(state: { down: boolean; rows: Map<string, IntegrationRecord<Record<string, unknown>>> }): IntegrationRecords {
  return {
    get: async (id) => {
      if (state.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return state.rows.get(id) ?? null;
    },
    listByProvider: async () => [...state.rows.values()],
  };
}

it('uses the last record read while the host database is down, and nothing it never read', async () => {
  const state = { down: false, rows: new Map([[record.id, record]]) };
  const resolver = new IntegrationResolver(records(state));
  expect((await resolver.resolve('int-1')).options.clientId).toBe('dingapp');
  state.down = true;
  expect((await resolver.resolve('int-1')).options.clientId).toBe('dingapp');
  await expect(resolver.resolve('int-2')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});

it('forgets a record that was deleted, so an outage does not bring it back', async () => {
  const state = { down: false, rows: new Map([[record.id, record]]) };
  const resolver = new IntegrationResolver(records(state));
  await resolver.resolve('int-1');
  state.rows.delete('int-1');
  await expect(resolver.resolve('int-1')).rejects.toMatchObject({ code: 'dingtalk_integration_not_found' });
  state.down = true;
  await expect(resolver.resolve('int-1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});

it('knows every integration the sync listed, so a replica that just restarted can verify webhooks in an outage', async () => {
  const other = { ...record, id: 'int-2' };
  const state = { down: false, rows: new Map([[record.id, record], [other.id, other]]) };
  const resolver = new IntegrationResolver(records(state));
  await resolver.listValid();
  state.down = true;
  expect((await resolver.resolve('int-2')).id).toBe('int-2');
  // A later listing without it (deleted meanwhile) drops it from the fallback too.
  state.down = false;
  state.rows.delete('int-2');
  await resolver.listValid();
  state.down = true;
  await expect(resolver.resolve('int-2')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  expect((await resolver.resolve('int-1')).id).toBe('int-1');
});
