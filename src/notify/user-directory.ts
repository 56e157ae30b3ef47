import type { DingTalkClient } from '../dingtalk/client';
import type { DingTalkUser } from '../dingtalk/client-types';
import { notifyError } from './notify-errors';

/**
 * People of the organisation, for a model looking up a userId. Walks the department tree breadth
 * first from a start department (root = 1): each department's users page by page, then its
 * sub-departments. Every call does a bounded amount of DingTalk work and hands back an opaque
 * cursor; the walk position (pending departments, page cursor, entries of that page already used)
 * travels in it, so no server state is kept between calls and any replica can continue.
 */

export interface ListUsersInput {
  keyword?: string;
  departmentId?: number;
  cursor?: string;
  limit?: number;
}

export interface ListedUser {
  user_id: string;
  name: string;
  title?: string;
  union_id?: string;
  department_ids?: number[];
}

export interface ListUsersPage {
  users: ListedUser[];
  /** Pass back to continue; absent when the walk is complete. */
  next_cursor?: string;
}

interface WalkState {
  /** Departments still to visit; the head is the current one. */
  q: number[];
  /** Page cursor inside the head department, or 'sub' once its users are done. */
  c: number | 'sub';
  /** Entries of the page at `c` already handed out. */
  k: number;
}

export const DEFAULT_USER_LIMIT = 20;
export const MAX_USER_LIMIT = 100;
/** DingTalk calls one invocation may make; keeps one tool call short whatever the org size. */
export const MAX_CALLS_PER_INVOCATION = 10;
const PAGE_SIZE = 100;

export async function listUsers(client: DingTalkClient, input: ListUsersInput): Promise<ListUsersPage> {
  const limit = Math.min(Math.max(Math.trunc(input.limit ?? DEFAULT_USER_LIMIT), 1), MAX_USER_LIMIT);
  const keyword = input.keyword?.trim().toLowerCase() || undefined;
  const state: WalkState = input.cursor ? decodeCursor(input.cursor) : { q: [input.departmentId ?? 1], c: 0, k: 0 };
  const users: ListedUser[] = [];
  const seen = new Set<string>();
  let calls = 0;

  while (state.q.length > 0 && users.length < limit && calls < MAX_CALLS_PER_INVOCATION) {
    const dept = state.q[0];
    calls += 1;
    if (state.c === 'sub') {
      const children = await client.listSubDepartments(dept);
      state.q = [...state.q.slice(1), ...children.map((d) => d.dept_id).filter((id) => Number.isInteger(id) && !state.q.includes(id))];
      state.c = 0;
      state.k = 0;
      continue;
    }
    const page = await client.listDepartmentUsers({ deptId: dept, cursor: state.c, size: PAGE_SIZE });
    let used = state.k;
    for (const user of page.list.slice(state.k)) {
      if (users.length >= limit) break;
      used += 1;
      if (seen.has(user.userid) || !matches(user, keyword)) continue;
      seen.add(user.userid);
      users.push(toListed(user));
    }
    if (used < page.list.length) {
      state.k = used; // the same page continues next call
    } else if (page.hasMore && page.nextCursor !== undefined) {
      state.c = page.nextCursor;
      state.k = 0;
    } else {
      state.c = 'sub';
      state.k = 0;
    }
  }
  return { users, ...(state.q.length > 0 ? { next_cursor: encodeCursor(state) } : {}) };
}

function matches(user: DingTalkUser, keyword: string | undefined): boolean {
  if (!keyword) return true;
  return [user.name, user.userid, user.title, user.job_number].some((field) => typeof field === 'string' && field.toLowerCase().includes(keyword));
}

function toListed(user: DingTalkUser): ListedUser {
  // Only what identifies a person; phone numbers and e-mail stay out of the model's context.
  return {
    user_id: user.userid,
    name: user.name,
    ...(user.title ? { title: user.title } : {}),
    ...(user.unionid ? { union_id: user.unionid } : {}),
    ...(Array.isArray(user.dept_id_list) ? { department_ids: user.dept_id_list } : {}),
  };
}

function encodeCursor(state: WalkState): string {
  return Buffer.from(JSON.stringify({ v: 1, ...state }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): WalkState {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<WalkState> & { v?: number };
    const validQueue = Array.isArray(value.q) && value.q.length > 0 && value.q.every((id) => Number.isInteger(id));
    const validCursor = value.c === 'sub' || (Number.isInteger(value.c) && (value.c as number) >= 0);
    const validSkip = Number.isInteger(value.k) && (value.k as number) >= 0;
    if (value.v === 1 && validQueue && validCursor && validSkip) return { q: value.q as number[], c: value.c as WalkState['c'], k: value.k as number };
  } catch {
    // fall through to the readable error
  }
  throw notifyError('notify_cursor_invalid', 'The cursor is not one this tool returned; call dingtalk_list_users again without a cursor.');
}
