import { OPEN_ACCESS } from '../../../src/access/access-policy';
import { triggerMeta } from '../../../src/trigger/trigger.meta';
import { TriggerCallbacks } from '../../../src/trigger/trigger-callbacks';
import { clampTriggerConfig, inRange, readTriggerConfig, sessionTimeoutOf, summaryWindowOf, toBindingConfig } from '../../../src/trigger/trigger-config';

describe('trigger config', () => {
  it('reads node.config leniently with defaults', () => {
    expect(readTriggerConfig(undefined)).toEqual({ enabled: true, integrationId: '', sessionTimeoutSeconds: 3600, summaryWindowSeconds: 0, access: OPEN_ACCESS, groupSessionMode: 'per_user' });
    expect(readTriggerConfig({ enabled: 'false', integrationId: ' int-1 ', sessionTimeoutSeconds: '120', summaryWindowSeconds: 5, xpertApiKey: ' sk ', xpertApiBaseUrl: '' })).toEqual({
      enabled: false,
      integrationId: 'int-1',
      sessionTimeoutSeconds: 120,
      summaryWindowSeconds: 5,
      xpertApiKey: 'sk',
      access: OPEN_ACCESS,
      groupSessionMode: 'per_user',
    });
    expect(readTriggerConfig({ summaryWindowSeconds: 'x' }).summaryWindowSeconds).toBeNaN();
  });

  it('range checks and clamping', () => {
    expect(inRange('sessionTimeoutSeconds', 60)).toBe(true);
    expect(inRange('sessionTimeoutSeconds', 604_800)).toBe(true);
    expect(inRange('sessionTimeoutSeconds', 59)).toBe(false);
    expect(inRange('summaryWindowSeconds', 0)).toBe(true);
    expect(inRange('summaryWindowSeconds', 1.5)).toBe(false);
    const clamped = clampTriggerConfig(readTriggerConfig({ sessionTimeoutSeconds: 1, summaryWindowSeconds: 'x' }));
    expect(clamped).toMatchObject({ sessionTimeoutSeconds: 60, summaryWindowSeconds: 0 });
    expect(toBindingConfig(readTriggerConfig({ integrationId: 'i', summaryWindowSeconds: 900, xpertApiKey: 'k' }))).toEqual({
      sessionTimeoutSeconds: 3600,
      summaryWindowSeconds: 300,
      xpertApiKey: 'k',
    });
    expect(sessionTimeoutOf(undefined)).toBe(3600);
    expect(sessionTimeoutOf({ sessionTimeoutSeconds: 10 })).toBe(60);
    expect(summaryWindowOf({ summaryWindowSeconds: 7 })).toBe(7);
    expect(summaryWindowOf(null)).toBe(0);
  });

  it('meta: name, label, icon and the config schema the studio renders', () => {
    expect(triggerMeta.name).toBe('dingtalk');
    expect(triggerMeta.label).toEqual({ en_US: 'DingTalk', zh_Hans: '钉钉' });
    expect(triggerMeta.icon).toMatchObject({ type: 'svg' });
    const props = triggerMeta.configSchema.properties;
    expect(Object.keys(props)).toEqual(['enabled', 'integrationId', 'sessionTimeoutSeconds', 'summaryWindowSeconds', 'privateChatScope', 'privateChatUsers', 'groupScope', 'groups', 'groupMemberScope', 'groupMembers', 'groupSessionMode', 'xpertApiKey', 'xpertApiBaseUrl']);
    expect(props.enabled.default).toBe(true);
    expect(props.integrationId['x-ui']).toEqual({ component: 'remoteSelect', selectUrl: '/api/dingtalk/integration-select-options' });
    expect(props.sessionTimeoutSeconds).toMatchObject({ default: 3600, minimum: 60, maximum: 604800 });
    expect(props.summaryWindowSeconds).toMatchObject({ default: 0, minimum: 0, maximum: 300 });
    expect(props.xpertApiKey['x-ui'].component).toBe('secretInput');
  });
});

describe('TriggerCallbacks', () => {
  it('one callback per expert; re-register replaces; conditional unregister', () => {
    const callbacks = new TriggerCallbacks();
    const a = jest.fn();
    const b = jest.fn();
    callbacks.register('x', a);
    callbacks.register('x', b);
    expect(callbacks.get('x')).toBe(b);
    expect(callbacks.unregister('x', a)).toBe(false);
    expect(callbacks.has('x')).toBe(true);
    expect(callbacks.unregister('x')).toBe(true);
    expect(callbacks.xpertIds()).toEqual([]);
  });
});
