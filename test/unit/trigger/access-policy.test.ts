import { accessConfigOf, decideAccess, OPEN_ACCESS, readAccessSettings, subjectIdOf } from '../../../src/access/access-policy';
import { triggerMeta } from '../../../src/trigger/trigger.meta';
import { readTriggerConfig, toBindingConfig } from '../../../src/trigger/trigger-config';

const privateFrom = (senderStaffId: string | undefined, senderId = '$:LWCP_v1:$enc') => ({ conversationType: 'private' as const, conversationId: 'cidP', senderId, ...(senderStaffId ? { senderStaffId } : {}) });
const groupFrom = (conversationId: string, senderStaffId: string) => ({ conversationType: 'group' as const, conversationId, senderId: `enc-${senderStaffId}`, senderStaffId });

describe('access policy', () => {
  it('open by default: everyone, every group', () => {
    expect(decideAccess(OPEN_ACCESS, privateFrom('anyone'))).toEqual({ allowed: true });
    expect(decideAccess(OPEN_ACCESS, groupFrom('cidG', 'anyone'))).toEqual({ allowed: true });
    expect(readAccessSettings(undefined)).toEqual(OPEN_ACCESS);
    expect(readAccessSettings({ privateChatScope: 'nonsense', groupScope: 7 })).toEqual(OPEN_ACCESS);
  });

  it('private chats: only listed users, by userId or by the encrypted id an external person is shown', () => {
    const settings = readAccessSettings({ privateChatScope: 'selected', privateChatUsers: ['staff-1', '$:LWCP_v1:$ext'] });
    expect(decideAccess(settings, privateFrom('staff-1'))).toEqual({ allowed: true });
    expect(decideAccess(settings, privateFrom(undefined, '$:LWCP_v1:$ext'))).toEqual({ allowed: true });
    expect(decideAccess(settings, privateFrom('staff-2'))).toEqual({ allowed: false, reason: 'private_user_not_selected' });
    // Group rules do not touch private chats, and the other way round.
    expect(decideAccess(settings, groupFrom('cidG', 'staff-2'))).toEqual({ allowed: true });
  });

  it('groups: the group rule first, then the member rule', () => {
    const settings = readAccessSettings({ groupScope: 'selected', groups: 'cidA, cidB', groupMemberScope: 'selected', groupMembers: ['staff-1'] });
    expect(decideAccess(settings, groupFrom('cidA', 'staff-1'))).toEqual({ allowed: true });
    expect(decideAccess(settings, groupFrom('cidC', 'staff-1'))).toEqual({ allowed: false, reason: 'group_not_selected' });
    expect(decideAccess(settings, groupFrom('cidB', 'staff-2'))).toEqual({ allowed: false, reason: 'group_member_not_selected' });
    expect(decideAccess(settings, privateFrom('staff-9'))).toEqual({ allowed: true });
  });

  it('lists are trimmed and deduplicated, whether ids or option objects', () => {
    expect(readAccessSettings({ groupMembers: [' a ', 'a', { value: 'b', label: 'B' }, '', 3] }).groupMembers).toEqual(['a', 'b']);
    expect(subjectIdOf(privateFrom('staff-1'))).toBe('staff-1');
    expect(subjectIdOf(privateFrom(undefined, 'enc'))).toBe('enc');
  });

  it('the binding stores only what differs from open access', () => {
    expect(accessConfigOf(OPEN_ACCESS)).toEqual({});
    expect(toBindingConfig(readTriggerConfig({ integrationId: 'i', privateChatScope: 'selected', privateChatUsers: ['u1'] }))).toEqual({
      sessionTimeoutSeconds: 3600,
      summaryWindowSeconds: 0,
      privateChatScope: 'selected',
      privateChatUsers: ['u1'],
    });
  });

  it('every access field has an en and a zh-Hans label', () => {
    const properties = triggerMeta.configSchema.properties as Record<string, { title: Record<string, string>; description: Record<string, string> }>;
    for (const field of ['privateChatScope', 'privateChatUsers', 'groupScope', 'groups', 'groupMemberScope', 'groupMembers']) {
      expect(properties[field].title.en_US).toBeTruthy();
      expect(properties[field].title.zh_Hans).toMatch(/[\u4e00-\u9fff]/);
      expect(properties[field].description.zh_Hans).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
