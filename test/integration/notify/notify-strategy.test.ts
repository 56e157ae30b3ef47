import { Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { AgentMiddlewareRegistry, StrategyBus } from '@xpert-ai/plugin-sdk';
import { parsePluginConfig } from '../../../src/config/plugin-config';
import { PluginDatabase } from '../../../src/core/plugin-database.service';
import { IntegrationResolver } from '../../../src/integration/integration-resolver';
import { DingTalkClientRegistry } from '../../../src/integration/client-registry';
import { DingTalkNotifyMiddleware } from '../../../src/notify';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../../../src/kernel/tokens';

// The strategy as the host finds it: DiscoveryModule + StrategyBus + AgentMiddlewareRegistry scan
// the providers. Every dependency is a stub that fails when touched, which proves that building
// the middleware (what the studio does to list tools, with node === null) reaches neither
// DingTalk nor the database.

const touched: string[] = [];
/** A stub whose listed methods record the call and fail. */
function untouchable(name: string, methods: string[]): Record<string, () => never> {
  return Object.fromEntries(
    methods.map((method) => [
      method,
      () => {
        touched.push(`${name}.${method}`);
        throw new Error(`${name} must not be used while building the middleware`);
      },
    ]),
  );
}

@Module({
  imports: [DiscoveryModule],
  providers: [
    StrategyBus,
    AgentMiddlewareRegistry,
    DingTalkNotifyMiddleware,
    { provide: IntegrationResolver, useValue: untouchable('IntegrationResolver', ['resolve', 'listValid']) },
    { provide: DingTalkClientRegistry, useValue: untouchable('DingTalkClientRegistry', ['forOptions', 'create']) },
    { provide: PluginDatabase, useValue: untouchable('PluginDatabase', ['open']) },
    { provide: DINGTALK_PLUGIN_CONFIG, useValue: parsePluginConfig({}) },
    { provide: DINGTALK_CLOCK, useValue: () => Date.now() },
  ],
})
class NotifyTestModule {}

let app: INestApplicationContext;
beforeAll(async () => {
  app = await NestFactory.createApplicationContext(NotifyTestModule, { logger: false });
});
afterAll(async () => {
  await app.close();
});

const TOOLS = ['dingtalk_send_text_notification', 'dingtalk_send_rich_notification', 'dingtalk_update_message', 'dingtalk_recall_message', 'dingtalk_list_users', 'dingtalk_send_file'];

describe('DingTalkNotifyMiddleware strategy', () => {
  it('resolves from the SDK AgentMiddlewareRegistry with its meta', () => {
    const strategy = app.get(AgentMiddlewareRegistry).get('DingTalkNotifyMiddleware');
    expect(strategy).toBeInstanceOf(DingTalkNotifyMiddleware);
    expect(strategy.meta).toMatchObject({ name: 'DingTalkNotifyMiddleware', label: { en_US: 'DingTalk notify', zh_Hans: '钉钉通知' }, icon: { type: 'svg' } });
    const properties = strategy.meta.configSchema!.properties as Record<string, any>;
    expect(properties.integrationId['x-ui']).toEqual({ component: 'remoteSelect', selectUrl: '/api/dingtalk/integration-select-options' });
    expect(properties.recipient_type.enum).toEqual(['user_id', 'open_id', 'chat_id']);
    expect(properties.template.properties).toMatchObject({ enabled: { default: true }, strict: { default: false } });
    expect(properties).toMatchObject({ autoReply: { default: false }, allowToolRecipients: { default: false }, timeoutMs: { default: 10000 } });
  });

  it.each([
    ['empty options', {}],
    ['full options', { integrationId: 'i1', recipient_type: 'chat_id', recipient_id: '{{state.chat}}', template: { enabled: true, strict: true }, autoReply: true, allowToolRecipients: true, timeoutMs: '5000' }],
    ['invalid options', { recipient_type: 'email', timeoutMs: -1 }],
    ['0.0.9 options', { integrationId: 'i1', recipient_type: 'user_id', recipient_id: 'u1', template: { enabled: true, strict: false }, defaults: { timeoutMs: 8000 } }],
  ])('createMiddleware(%s, {node: null}) lists the six tools without touching DingTalk or the database', async (_label, options) => {
    const strategy = app.get(AgentMiddlewareRegistry).get('DingTalkNotifyMiddleware');
    const middleware = await strategy.createMiddleware(options, { tenantId: 't1', userId: 'u1', node: null as never });
    expect(middleware.name).toBe('DingTalkNotifyMiddleware');
    expect(middleware.tools?.map((t) => t.name)).toEqual(TOOLS);
    expect(Object.keys((middleware.stateSchema as any).shape)).toEqual(['dingtalk_notify_last_result', 'dingtalk_notify_last_message_ids']);
    for (const tool of middleware.tools ?? []) expect(tool.description.length).toBeGreaterThan(80);
    expect(touched).toEqual([]);
  });

  it('invalid options are reported by the tools, not thrown while building the agent', async () => {
    const strategy = app.get(AgentMiddlewareRegistry).get('DingTalkNotifyMiddleware');
    const middleware = await strategy.createMiddleware({ recipient_type: 'email' }, { tenantId: 't1', userId: 'u1', node: null as never });
    const out = await middleware.tools![0].invoke({ text: 'hi' });
    expect(out).toMatch(/DingTalk notify middleware is misconfigured \(recipient_type: /);
    expect(touched).toEqual([]);
  });
});
