import type { IntegrationRecord } from '../../../src/kernel/integration';
import { IntegrationRecords } from '../../../src/host/integration-records.port';
import { IntegrationResolver } from '../../../src/integration/integration-resolver';

const ID = '5ca1e000-0000-4000-8000-000000000001';

function record(clientSecret: string): IntegrationRecord<Record<string, unknown>> {
  return {
    id: ID,
    tenantId: null,
    organizationId: null,
    name: 'bot',
    provider: 'dingtalk',
    options: { mode: 'stream', clientId: 'dingresolver0001', clientSecret, robotCode: 'dingresolver0001' },
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Host records whose reads are answered by the test, one deferred per read. */
class ScriptedRecords extends IntegrationRecords {
  readonly reads: ReturnType<typeof deferred<IntegrationRecord<Record<string, unknown>> | null>>[] = [];
  get(): Promise<IntegrationRecord<Record<string, unknown>> | null> {
    const read = deferred<IntegrationRecord<Record<string, unknown>> | null>();
    this.reads.push(read);
    return read.promise;
  }
  async listByProvider(): Promise<IntegrationRecord<Record<string, unknown>>[]> {
    return [];
  }
}

describe('IntegrationResolver: concurrent lookups of one integration', () => {
  it('share one read of the host table while it is in flight', async () => {
    const records = new ScriptedRecords();
    const resolver = new IntegrationResolver(records);
    const lookups = [resolver.resolve(ID), resolver.resolve(ID), resolver.resolve(ID)];
    expect(records.reads).toHaveLength(1);
    records.reads[0].resolve(record('secret-1'));
    const results = await Promise.all(lookups);
    expect(results.map((r) => r.options.clientSecret)).toEqual(['secret-1', 'secret-1', 'secret-1']);
  });

  it('keep nothing once the read settled: a saved change is seen by the next request', async () => {
    const records = new ScriptedRecords();
    const resolver = new IntegrationResolver(records);
    const first = resolver.resolve(ID);
    records.reads[0].resolve(record('secret-1'));
    expect((await first).options.clientSecret).toBe('secret-1');
    const second = resolver.resolve(ID);
    expect(records.reads).toHaveLength(2);
    records.reads[1].resolve(record('secret-2'));
    expect((await second).options.clientSecret).toBe('secret-2');
  });

  it('a failed read fails the requests that shared it, and the next one reads again', async () => {
    const records = new ScriptedRecords();
    const resolver = new IntegrationResolver(records);
    const shared = [resolver.resolve(ID), resolver.resolve(ID)];
    records.reads[0].reject(new Error('host database unavailable'));
    for (const lookup of shared) await expect(lookup).rejects.toThrow('host database unavailable');
    const again = resolver.resolve(ID);
    expect(records.reads).toHaveLength(2);
    records.reads[1].resolve(null);
    await expect(again).rejects.toMatchObject({ code: 'dingtalk_integration_not_found' });
  });
});
