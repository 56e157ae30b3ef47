import { INTEGRATION_ID, LIST, useNotifyFixture, type NotifyFixture } from './notify-fixture';

let f: NotifyFixture;
useNotifyFixture((fixture) => (f = fixture));

const tool = () => f.tool(f.middleware({ integrationId: INTEGRATION_ID }), LIST);

/** Root with 130 people, two departments below it and one below those. */
function seedOrganisation(): void {
  f.sim.directory.addDepartment({ dept_id: 10, name: 'Engineering' });
  f.sim.directory.addDepartment({ dept_id: 20, name: 'Sales' });
  f.sim.directory.addDepartment({ dept_id: 11, name: 'Platform', parent_id: 10 });
  for (let i = 0; i < 130; i += 1) f.sim.directory.addUser({ userid: `root-${i}`, name: `Root Person ${i}`, dept_id_list: [1] });
  f.sim.directory.addUser({ userid: 'eng-ann', name: 'Ann Zhang', title: 'Engineer', dept_id_list: [10] });
  f.sim.directory.addUser({ userid: 'sales-bo', name: 'Bo Li', title: 'Account manager', dept_id_list: [20] });
  f.sim.directory.addUser({ userid: 'plat-cy', name: 'Cy Zhang', title: 'SRE', dept_id_list: [11], mobile: '13800000000' });
}

describe('dingtalk_list_users', () => {
  it('walks the whole organisation from the root department with a cursor, every person once', async () => {
    seedOrganisation();
    const seen: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const result = await f.run(tool(), { limit: 50, ...(cursor ? { cursor } : {}) });
      expect(result.json).toMatchObject({ ok: true });
      seen.push(...result.json!.users.map((u: { user_id: string }) => u.user_id));
      cursor = result.json!.next_cursor;
      calls += 1;
    } while (cursor && calls < 20);
    expect(seen).toHaveLength(133);
    expect(new Set(seen).size).toBe(133);
    expect(seen.slice(-3).sort()).toEqual(['eng-ann', 'plat-cy', 'sales-bo']);
    expect(f.sim.calls({ path: '/topapi/v2/department/listsub' }).map((c) => (c.body as { dept_id: number }).dept_id)).toEqual([1, 10, 20, 11]);
  });

  it('filters by keyword across departments and keeps contact details out of the answer', async () => {
    seedOrganisation();
    const result = await f.run(tool(), { keyword: 'zhang' });
    expect(result.json).toMatchObject({ ok: true, complete: true, count: 2 });
    expect(result.json!.users).toEqual([
      { user_id: 'eng-ann', name: 'Ann Zhang', title: 'Engineer', union_id: 'union_eng-ann', department_ids: [10] },
      { user_id: 'plat-cy', name: 'Cy Zhang', title: 'SRE', union_id: 'union_plat-cy', department_ids: [11] },
    ]);
    expect(result.content).not.toContain('13800000000');
  });

  it('bounds the work of one call and continues from the cursor', async () => {
    for (let d = 0; d < 30; d += 1) f.sim.directory.addDepartment({ dept_id: 100 + d, name: `Team ${d}` });
    f.sim.directory.addUser({ userid: 'needle', name: 'Needle Person', dept_id_list: [129] });
    const first = await f.run(tool(), { keyword: 'needle' });
    expect(first.json).toMatchObject({ ok: true, count: 0 });
    expect(first.json!.next_cursor).toBeDefined();
    expect(f.sim.calls().filter((c) => c.path.startsWith('/topapi/')).length).toBeLessThanOrEqual(10);
    let cursor = first.json!.next_cursor;
    let found: string[] = [];
    for (let i = 0; i < 20 && cursor && found.length === 0; i += 1) {
      const next = await f.run(tool(), { keyword: 'needle', cursor });
      found = next.json!.users.map((u: { user_id: string }) => u.user_id);
      cursor = next.json!.next_cursor;
    }
    expect(found).toEqual(['needle']);
  });

  it('a missing qyapi_get_department_member permission is a readable answer naming the scope and where to grant it', async () => {
    f.sim.faults.set({ missingScope: { path: '/topapi/v2/user/list', scope: 'qyapi_get_department_member' } });
    const result = await f.run(tool(), {});
    expect(result.json).toBeUndefined();
    expect(result.status).toBe('error');
    expect(result.content).toMatch(/missing the permission qyapi_get_department_member/);
    expect(result.content).toMatch(/developer console → the app → Permission management/);
    expect(result.content).not.toMatch(/\n\s+at /);
    expect(result.state.dingtalk_notify_last_result).toMatchObject({ ok: false, error_code: 'dingtalk_permission_missing' });
    // A permanent error is answered at once: DingTalk was asked exactly once.
    expect(f.sim.calls({ path: '/topapi/v2/user/list' })).toHaveLength(1);
  });

  it('an invalid cursor gets a readable answer', async () => {
    const result = await f.run(tool(), { cursor: 'garbage' });
    expect(result.content).toMatch(/cursor is not one this tool returned/);
  });
});
