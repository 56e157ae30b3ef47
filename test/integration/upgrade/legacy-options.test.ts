import { parseIntegrationOptions, withoutSecrets } from '../../../src/config/integration.schema';
import { ignoredOptionKeys } from '../../../src/config/legacy-options';
import { parseNotifyOptions } from '../../../src/notify/notify-options';

/** Integration and middleware options as the earlier 0.0.9 plugin stored them. */
const LEGACY_HTTP = {
  clientId: 'dinglegacyapp',
  clientSecret: 'legacy-secret',
  corpId: '',
  robotCode: 'dinglegacyrobot',
  preferLanguage: 'en',
  connectionMode: 'webhook',
  httpCallbackEnabled: true,
  callbackToken: 'legacyToken123',
  callbackAesKey: 'LegacyAesKey0123456789abcdefghijklmnopqrstu',
  appKey: 'dinglegacyowner',
  webhookAccessToken: 'custom-robot-token',
  webhookSignSecret: 'SECcustomrobotsecret',
  apiBaseUrl: 'https://api.dingtalk.example',
  legacyApiBaseUrl: 'https://oapi.dingtalk.example',
};

describe('0.0.9 integration options', () => {
  it('every key is read into ours; the ignored ones stay untouched and are named', () => {
    const options = parseIntegrationOptions(LEGACY_HTTP, 'dingtalk');
    expect(options).toMatchObject({
      clientId: 'dinglegacyapp',
      robotCode: 'dinglegacyrobot',
      mode: 'http',
      preferredLanguage: 'en',
      callbackToken: 'legacyToken123',
      callbackAesKey: LEGACY_HTTP.callbackAesKey,
      corpId: 'dinglegacyowner',
      apiBaseUrl: 'https://api.dingtalk.example',
      oapiBaseUrl: 'https://oapi.dingtalk.example',
      webhookAccessToken: 'custom-robot-token',
      webhookSignSecret: 'SECcustomrobotsecret',
    });
    expect(ignoredOptionKeys(LEGACY_HTTP)).toEqual(['webhookAccessToken', 'webhookSignSecret']);
    expect(withoutSecrets(options as unknown as Record<string, unknown>)).not.toHaveProperty('webhookSignSecret');
  });

  it('connectionMode long_connection, httpCallbackEnabled false and provider dingtalk_long mean Stream', () => {
    const base = { clientId: 'a', clientSecret: 'b' };
    expect(parseIntegrationOptions({ ...base, connectionMode: 'long_connection' }, 'dingtalk').mode).toBe('stream');
    expect(parseIntegrationOptions({ ...base, httpCallbackEnabled: false }, 'dingtalk').mode).toBe('stream');
    // A dingtalk_long record is Stream even with HTTP settings left in it.
    expect(parseIntegrationOptions({ ...base, connectionMode: 'webhook', mode: 'http' }, 'dingtalk_long').mode).toBe('stream');
  });

  it('our own keys win over 0.0.9 ones', () => {
    const options = parseIntegrationOptions({ ...LEGACY_HTTP, mode: 'stream', preferredLanguage: 'zh-Hans', corpId: 'dingcorp' }, 'dingtalk');
    expect(options).toMatchObject({ mode: 'stream', preferredLanguage: 'zh-Hans', corpId: 'dingcorp' });
  });

  it('an appKey equal to the client id changes nothing (the owner key already is the client id)', () => {
    expect(parseIntegrationOptions({ clientId: 'same', clientSecret: 'x', appKey: 'same' }).corpId).toBeUndefined();
  });
});

describe('0.0.9 middleware options', () => {
  it('defaults.timeoutMs is the time limit; template flags and hidden recipient fields are read', () => {
    const { options, problem } = parseNotifyOptions({ template: { enabled: false, strict: true }, defaults: { timeoutMs: 8000 }, integrationId: 'i1', recipient_type: 'chat_id', recipient_id: 'cid==' });
    expect(problem).toBeUndefined();
    expect(options).toMatchObject({ timeoutMs: 8000, template: { enabled: false, strict: true }, integrationId: 'i1', recipient_type: 'chat_id', recipient_id: 'cid==' });
    expect(parseNotifyOptions({ timeoutMs: 5000, defaults: { timeoutMs: 8000 } }).options.timeoutMs).toBe(5000);
  });
});
