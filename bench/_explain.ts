import 'reflect-metadata';
import { Client } from 'pg';
import { createPluginDataSource, Database, HandoffRepository, insertHandoffJob, runMigrations } from '../src/persistence';
async function main() {
  const name = `probe_${Date.now()}`;
  const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' }); await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const ds = createPluginDataSource({ databaseUrl: url }); await runMigrations(ds); const db = await Database.open(ds);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => { for (let i = next++; i < 5000; i = next++) await insertHandoffJob(db, { kind: 'bench', integrationId: 'bench', sessionKey: `s-${i % 500}`, payload: { i } }); }));
  const repo = new HandoffRepository(db);
  for (let k = 0; k < 1000; k++) { const [j] = await repo.claim({ owner: 'w', limit: 1, leaseMs: 30000 }); await repo.complete(j.id, 'w'); }
  for (let k = 0; k < 15; k++) await repo.claim({ owner: 'w', limit: 1, leaseMs: 30000 });
  const c = new Client({ connectionString: url }); await c.connect();
  const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS) WITH clock AS (SELECT now() AS now),
       candidates AS (
         SELECT j.id AS claim_id FROM plugin_dingtalk_handoff j
          WHERE j.status = 'queued' AND j.run_at <= (SELECT now FROM clock)
            AND (j.session_key IS NULL OR NOT EXISTS (SELECT 1 FROM plugin_dingtalk_handoff e WHERE e.session_key = j.session_key AND e.seq < j.seq AND e.status IN ('queued', 'running')))
          ORDER BY j.seq LIMIT 1 FOR UPDATE OF j SKIP LOCKED)
       UPDATE plugin_dingtalk_handoff h SET status = 'running', lease_owner = 'x', attempts = h.attempts + 1 FROM candidates, clock WHERE h.id = candidates.claim_id RETURNING h.id`);
  console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
  await c.end(); await db.close(); await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); await admin.end();
}
main();
