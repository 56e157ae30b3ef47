/** Fixed demo credentials and ids, so the sandbox's data folder survives restarts. */
export const DEMO_HTTP = {
  id: '5a1d0000-0000-4000-8000-00000000a001',
  name: 'Demo bot (HTTP mode)',
  options: {
    mode: 'http' as const,
    clientId: 'dingdemohttp0001',
    clientSecret: 'demo-http-app-secret-0001',
    robotCode: 'dingdemohttp0001',
    callbackToken: 'demoCallbackToken',
    callbackAesKey: 'DemoSandboxAesKey0123456789abcdefghijklmnop',
    preferredLanguage: 'en' as const,
  },
};

export const DEMO_STREAM = {
  id: '5a1d0000-0000-4000-8000-00000000a002',
  name: 'Demo bot (Stream mode)',
  options: {
    mode: 'stream' as const,
    clientId: 'dingdemostream01',
    clientSecret: 'demo-stream-app-secret-0001',
    robotCode: 'dingdemostream01',
    // The Stream bot speaks Chinese and streams its answers into one card (Confirm / Reject buttons
    // call back with the presser's id); the HTTP bot answers in English markdown.
    preferredLanguage: 'zh-Hans' as const,
    cardTemplateId: 'tpl.sandbox.answer',
  },
};

export const DEMO_XPERT_ID = '5a1d0000-0000-4000-8000-00000000e001';
export const DEMO_API_KEY = 'sk-x-sandbox-demo-key';
