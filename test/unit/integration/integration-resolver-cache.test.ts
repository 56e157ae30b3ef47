import type { IntegrationRecord } from '../../../src/kernel/integration';
import { IntegrationRecords } from '../../../src/host/integration-records.port';
import { IntegrationResolver } from '../../../src/integration/integration-resolver';

const ID = '5ca1e000-0000-4000-8000-0000000000c1';
const TTL = 5000;

function record(clientSecret: string): IntegrationRecord<Record<string, unknown>> {
  return { id: ID, tenantId: null, organizationId: null, name: 'bot', provider: 'dingtalk', options: { mode: 'stream', clientId: 'dingcache0001', clientSecret } };
}

/** The host's table, counting reads; `hold` keeps the next read open until released. */
class CountingRecords extends IntegrationRecords {
  rows = new Map<string, IntegrationRecord<Record<string, unknown>>>([[ID, record('secret-1')]]);
  reads = 0;
  hold?: Promise<void>;

  async get(id: string): Promise<IntegrationRecord<Record<string, unknown>> | null> {
    this.reads += 1;
    const row = this.rows.get(id) ?? null;
    if (this.hold) await this.hold;
    return row;
  }

  async listByProvider(provider: string): Promise<IntegrationRecord<Record<string, unknown>>[]> {
    return [...this.rows.values()].filter((row) => row.provider === provider);
  }
}

function setup(ttl = TTL) {
  const clock = { ms: 1_000_000 };
  const records = new CountingRecords();
  const resolver = new IntegrationResolver(records, { integrationCacheMs: ttl }, () => clock.ms);
  const secret = async () => (await resolver.resolve(ID)).options.clientSecret;
  return { clock, records, resolver, secret };
}

describe('IntegrationResolver: records kept for integrationCacheMs', () => {
  it('reads the host once per ttl, and a saved change takes effect once the ttl is over', async () => {
    const { clock, records, secret } = setup();
    expect(await secret()).toBe('secret-1');
    records.rows.set(ID, record('secret-2'));
    clock.ms += TTL - 1;
    expect(await secret()).toBe('secret-1');
    expect(records.reads).toBe(1);
    clock.ms += 1;
    expect(await secret()).toBe('secret-2');
    expect(records.reads).toBe(2);
  });

  it('a save announced by the host (3.17 onUpdate) is seen at once, even by a read begun before the write', async () => {
    const { clock, records, resolver, secret } = setup();
    await secret();
    // The hook runs before the host writes: a read now still gets the old row, which must not be kept.
    resolver.markSaved(ID);
    expect(await secret()).toBe('secret-1');
    records.rows.set(ID, record('secret-2'));
    expect(await secret()).toBe('secret-2');
    expect(records.reads).toBe(3);
    // Once a ttl has passed since the announcement, reads are kept again.
    clock.ms += TTL;
    await secret();
    await secret();
    expect(records.reads).toBe(4);
  });

  it('a read that was in flight when the save was announced is not kept', async () => {
    const { records, resolver, secret } = setup();
    let release!: () => void;
    records.hold = new Promise<void>((resolve) => (release = resolve));
    const inFlight = secret();
    resolver.markSaved(ID);
    records.rows.set(ID, record('secret-2'));
    release();
    expect(await inFlight).toBe('secret-1');
    records.hold = undefined;
    expect(await secret()).toBe('secret-2');
  });

  it('a deleted integration (3.17 onDelete) is gone at once', async () => {
    const { resolver, secret } = setup();
    await secret();
    resolver.markDeleted(ID);
    await expect(resolver.resolve(ID)).rejects.toMatchObject({ code: 'dingtalk_integration_not_found' });
  });

  it('keeps no miss: an integration saved after a lookup failed is found by the next one', async () => {
    const { records, resolver, secret } = setup();
    records.rows.clear();
    await expect(resolver.resolve(ID)).rejects.toMatchObject({ code: 'dingtalk_integration_not_found' });
    records.rows.set(ID, record('secret-1'));
    expect(await secret()).toBe('secret-1');
  });

  it('reads again when the clock went back, rather than serve an entry past its ttl', async () => {
    const { clock, records, secret } = setup();
    await secret();
    clock.ms -= 1;
    await secret();
    expect(records.reads).toBe(2);
  });

  it('a listing (the Stream sync) refreshes what it lists and drops what it no longer lists', async () => {
    const { clock, records, resolver, secret } = setup();
    await secret();
    records.rows.set(ID, record('secret-2'));
    clock.ms += 1;
    await resolver.listValid();
    expect(await secret()).toBe('secret-2');
    expect(records.reads).toBe(1);
    records.rows.clear();
    await resolver.listValid();
    await expect(resolver.resolve(ID)).rejects.toMatchObject({ code: 'dingtalk_integration_not_found' });
  });

  it('with a ttl of 0 every lookup reads the host', async () => {
    const { records, secret } = setup(0);
    await secret();
    await secret();
    expect(records.reads).toBe(2);
  });
});
