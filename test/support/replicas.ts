import { randomUUID } from 'node:crypto';
import { createSimulator, type DingTalkSimulator } from '../../sandbox/simulator';
import { PluginDatabase } from '../../src/core/plugin-database.service';
import { TriggerBindingRepository } from '../../src/persistence';
import { createServerDatabase, databaseUrl } from './database';
import { startPluginHost, type PluginHost, type PluginHostOptions } from './plugin-host';

export interface Replicas {
  replicas: [PluginHost, PluginHost];
  simulator: DingTalkSimulator;
  close(): Promise<void>;
}

/**
 * Two replicas of one deployment: two host harnesses on one fresh PostgreSQL server database, one
 * DingTalk simulator, the same HTTP-mode integration, and a trigger binding sending it to the fake
 * threads API. `options(i)` adds what replica i needs. Needs DATABASE_URL.
 */
export async function startReplicas(trigger: { xpertId: string; apiKey: string; apiBaseUrl: string }, options: (index: number) => PluginHostOptions = () => ({})): Promise<Replicas> {
  const database = await createServerDatabase(databaseUrl!);
  const simulator = await createSimulator();
  const started: PluginHost[] = [];
  const close = async () => {
    for (const replica of started) await replica.close();
    await simulator.close();
    await database.drop();
  };
  try {
    const id = randomUUID();
    for (let i = 0; i < 2; i++) {
      started.push(await startPluginHost({ withStream: false, database: { url: database.url }, simulator, ids: { http: id }, ...options(i) }));
    }
    const bindings = new TriggerBindingRepository(started[0].host.get(PluginDatabase).db);
    await bindings.upsert({ integrationId: id, xpertId: trigger.xpertId, config: { xpertApiKey: trigger.apiKey, xpertApiBaseUrl: trigger.apiBaseUrl } });
    return { replicas: [started[0], started[1]], simulator, close };
  } catch (error) {
    await close();
    throw error;
  }
}
