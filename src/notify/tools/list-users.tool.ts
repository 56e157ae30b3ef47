import { DynamicStructuredTool } from '@langchain/core/tools';
import { z } from 'zod';
import { DEFAULT_USER_LIMIT, listUsers, MAX_USER_LIMIT } from '../user-directory';
import { LEGACY_LIST_USERS_ARGS, normalizeListUsersArgs } from './legacy-args';
import { integrationIdFor, runNotifyTool, type NotifyToolkit } from './tool-runtime';

export const LIST_USERS_TOOL = 'dingtalk_list_users';

const DESCRIPTION = [
  'Look up people in the DingTalk organisation to find their userId (needed to message or @-mention them).',
  'Optionally filter by keyword (matches name, userId, job title or job number) and start at a department (default: the whole organisation).',
  'Returns JSON {users: [{user_id, name, title, union_id, department_ids}], next_cursor}. When next_cursor is present there may be more matches: call again with the same keyword and that cursor.',
  'A person in several departments can show up once per department across pages (same user_id).',
].join(' ');

export function listUsersTool(toolkit: NotifyToolkit): DynamicStructuredTool {
  const schema = z.object({
    keyword: z.string().optional().describe('Part of a name, userId, job title or job number.'),
    department_id: z.number().int().optional().describe('Start at this department (and its sub-departments) instead of the whole organisation (root department 1).'),
    cursor: z.string().optional().describe('next_cursor from the previous call, to continue.'),
    limit: z.number().int().optional().describe(`How many people to return (default ${DEFAULT_USER_LIMIT}, at most ${MAX_USER_LIMIT}).`),
    ...LEGACY_LIST_USERS_ARGS,
  });
  return new DynamicStructuredTool({
    name: LIST_USERS_TOOL,
    description: DESCRIPTION,
    schema,
    func: async (input: z.infer<typeof schema>, _runManager, config) =>
      runNotifyTool(toolkit, { name: LIST_USERS_TOOL, action: 'list DingTalk users' }, config, async (scope) => {
        const args = normalizeListUsersArgs(input);
        const integration = await toolkit.deps.resolveIntegration(integrationIdFor(toolkit, scope));
        const page = await listUsers(toolkit.deps.clientFor(integration.options), {
          keyword: args.keyword,
          departmentId: args.department_id,
          cursor: args.cursor,
          limit: args.limit,
        });
        return {
          result: {
            users: page.users,
            count: page.users.length,
            ...(page.next_cursor ? { next_cursor: page.next_cursor } : { complete: true }),
          },
        };
      }),
  });
}
