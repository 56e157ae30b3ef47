import type { DataSource } from 'typeorm';

/** Rows the intake path may write; every rejected request must leave all of them unchanged. */
export async function intakeCounts(dataSource: DataSource): Promise<{ inbox: number; jobs: number }> {
  const [row] = await dataSource.query(
    'SELECT (SELECT count(*) FROM plugin_dingtalk_inbox)::int AS inbox, (SELECT count(*) FROM plugin_dingtalk_handoff)::int AS jobs',
  );
  return { inbox: Number(row.inbox), jobs: Number(row.jobs) };
}
