/**
 * The organisation's contacts for `topapi/v2/user/list` and `topapi/v2/department/listsub`.
 * Root department 1 always exists. When at least one user is registered, robot sends to userIds
 * that are not in the directory come back in `invalidStaffIdList`; with no users, any id is valid.
 */
export interface SimDepartment {
  dept_id: number;
  name: string;
  parent_id: number;
  create_dept_group?: boolean;
  auto_add_user?: boolean;
}

export interface SimUser {
  userid: string;
  name: string;
  dept_id_list: number[];
  unionid?: string;
  title?: string;
  mobile?: string;
  active?: boolean;
  [field: string]: unknown;
}

export class DirectoryStore {
  private readonly departments = new Map<number, SimDepartment>();
  private readonly users = new Map<string, SimUser>();

  constructor() {
    this.departments.set(1, { dept_id: 1, name: 'Simulated Org', parent_id: 0 });
  }

  addDepartment(dept: Omit<SimDepartment, 'parent_id'> & { parent_id?: number }): void {
    this.departments.set(dept.dept_id, { create_dept_group: true, auto_add_user: true, parent_id: 1, ...dept });
  }

  addUser(user: { userid: string; name: string; dept_id_list?: number[]; [field: string]: unknown }): void {
    this.users.set(user.userid, { unionid: `union_${user.userid}`, active: true, ...user, dept_id_list: user.dept_id_list ?? [1] });
  }

  hasDepartment(id: number): boolean {
    return this.departments.has(id);
  }

  /** Users directly in a department, in insertion order (stable paging). */
  usersOf(deptId: number): SimUser[] {
    return [...this.users.values()].filter((u) => u.dept_id_list.includes(deptId));
  }

  childrenOf(deptId: number): SimDepartment[] {
    return [...this.departments.values()].filter((d) => d.parent_id === deptId && d.dept_id !== deptId);
  }

  isKnownUser(userId: string): boolean {
    return this.users.size === 0 || this.users.has(userId);
  }

  clear(): void {
    this.users.clear();
    for (const id of [...this.departments.keys()]) if (id !== 1) this.departments.delete(id);
  }
}
