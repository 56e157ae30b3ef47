import type { SimContext } from '../context';
import { oldError, oldOk } from '../error-bodies';
import { asObject } from './validation';

/** Old-family contact APIs (fact sheet §6a): errcode envelopes, cursor paging, root department 1. */
export function registerContactRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/topapi/v2/user/list',
    (req) => {
      const body = asObject(req.body);
      const deptId = Number(body.dept_id);
      const cursor = body.cursor === undefined ? 0 : Number(body.cursor);
      const size = Number(body.size);
      if (!Number.isInteger(deptId) || body.dept_id === undefined) return oldError(40035, '不合法的参数: dept_id');
      if (!Number.isInteger(cursor) || cursor < 0) return oldError(40068, '不合法的偏移量');
      if (!Number.isInteger(size) || size < 1 || size > 100) return oldError(40069, '不合法的分页大小');
      if (!ctx.directory.hasDepartment(deptId)) return oldError(60003, '部门不存在');
      const users = ctx.directory.usersOf(deptId);
      const page = users.slice(cursor, cursor + size);
      const hasMore = cursor + size < users.length;
      return oldOk({ result: { has_more: hasMore, ...(hasMore ? { next_cursor: cursor + size } : {}), list: page } });
    },
    { family: 'old', scope: 'qyapi_get_department_member' },
  );

  ctx.route(
    'POST',
    '/topapi/v2/department/listsub',
    (req) => {
      const body = asObject(req.body);
      const deptId = body.dept_id === undefined ? 1 : Number(body.dept_id);
      if (!Number.isInteger(deptId)) return oldError(40035, '不合法的参数: dept_id');
      if (!ctx.directory.hasDepartment(deptId)) return oldError(60003, '部门不存在');
      return oldOk({ result: ctx.directory.childrenOf(deptId) });
    },
    { family: 'old', scope: 'qyapi_get_department_list' },
  );
}
