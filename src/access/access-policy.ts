/**
 * Who may talk to the bound expert (the trigger's access settings). Pure: the decision depends on
 * the settings and the message alone, so it is the same on every replica and in every test.
 *
 * - private chats: everyone in the organisation, or only the selected users;
 * - groups: every group the bot is in, or only the selected groups; and inside an allowed group,
 *   everyone, or only the selected users.
 * A user is matched by their userId (staffId); the encrypted sender id is accepted too, so a
 * person without a userId (an external contact) can still be listed by the id their notice shows.
 */

export type PrivateChatScope = 'everyone' | 'selected';
export type GroupScope = 'all' | 'selected';
export type GroupMemberScope = 'everyone' | 'selected';

export interface AccessSettings {
  privateChatScope: PrivateChatScope;
  privateChatUsers: string[];
  groupScope: GroupScope;
  groups: string[];
  groupMemberScope: GroupMemberScope;
  groupMembers: string[];
}

export const OPEN_ACCESS: AccessSettings = {
  privateChatScope: 'everyone',
  privateChatUsers: [],
  groupScope: 'all',
  groups: [],
  groupMemberScope: 'everyone',
  groupMembers: [],
};

/** Why a sender was refused; also the `reason` the status route counts by. */
export type RefusalReason = 'private_user_not_selected' | 'group_not_selected' | 'group_member_not_selected';

export type AccessDecision = { allowed: true } | { allowed: false; reason: RefusalReason };

export interface AccessSubject {
  conversationType: 'private' | 'group';
  conversationId: string;
  senderId: string;
  senderStaffId?: string;
}

export function decideAccess(settings: AccessSettings, subject: AccessSubject): AccessDecision {
  const isListed = (list: readonly string[]) =>
    (subject.senderStaffId !== undefined && subject.senderStaffId !== '' && list.includes(subject.senderStaffId)) || list.includes(subject.senderId);
  if (subject.conversationType === 'private') {
    if (settings.privateChatScope === 'selected' && !isListed(settings.privateChatUsers)) return { allowed: false, reason: 'private_user_not_selected' };
    return { allowed: true };
  }
  if (settings.groupScope === 'selected' && !settings.groups.includes(subject.conversationId)) return { allowed: false, reason: 'group_not_selected' };
  if (settings.groupMemberScope === 'selected' && !isListed(settings.groupMembers)) return { allowed: false, reason: 'group_member_not_selected' };
  return { allowed: true };
}

/** The id a refused person is told, so an admin can add it: the userId when DingTalk sent one. */
export function subjectIdOf(subject: AccessSubject): string {
  return subject.senderStaffId || subject.senderId;
}

/**
 * Reads the access settings from a trigger config or a stored binding config, leniently: absent
 * or unknown scopes mean open, and lists may arrive as arrays or comma/newline separated text.
 */
export function readAccessSettings(raw: Record<string, unknown> | null | undefined): AccessSettings {
  const value = raw ?? {};
  return {
    privateChatScope: value.privateChatScope === 'selected' ? 'selected' : 'everyone',
    privateChatUsers: readIdList(value.privateChatUsers),
    groupScope: value.groupScope === 'selected' ? 'selected' : 'all',
    groups: readIdList(value.groups),
    groupMemberScope: value.groupMemberScope === 'selected' ? 'selected' : 'everyone',
    groupMembers: readIdList(value.groupMembers),
  };
}

/** Only the keys that differ from open access, for storing with the binding. */
export function accessConfigOf(settings: AccessSettings): Partial<AccessSettings> {
  return {
    ...(settings.privateChatScope === 'selected' ? { privateChatScope: 'selected' as const } : {}),
    ...(settings.privateChatUsers.length ? { privateChatUsers: settings.privateChatUsers } : {}),
    ...(settings.groupScope === 'selected' ? { groupScope: 'selected' as const } : {}),
    ...(settings.groups.length ? { groups: settings.groups } : {}),
    ...(settings.groupMemberScope === 'selected' ? { groupMemberScope: 'selected' as const } : {}),
    ...(settings.groupMembers.length ? { groupMembers: settings.groupMembers } : {}),
  };
}

export function readIdList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,\n]/) : [];
  const ids = items
    .map((item) => (typeof item === 'string' ? item : isRecord(item) && typeof item.value === 'string' ? item.value : ''))
    .map((item) => item.trim())
    .filter(Boolean);
  return [...new Set(ids)];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
