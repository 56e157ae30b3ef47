import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { XpertPlugin } from '@xpert-ai/plugin-sdk';
import { DINGTALK_ICON } from './config/icon';
import { PluginConfig, parsePluginConfig, pluginConfigSchema } from './config/plugin-config';
import { DingTalkPluginModule } from './dingtalk.plugin';
import type { PluginPermission } from './host/host-317.types';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG, DINGTALK_PLUGIN_CONTEXT } from './kernel/tokens';

// Read at run time from the package root (one level above both src/ and dist/), so meta.name is
// always the installed package's name, which the host requires.
const packageJson = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  keywords?: string[];
};

/**
 * What a 3.17 host lets the plugin resolve through `ctx.resolve` (a 3.7 host ignores the field):
 * reading its own integrations — `dingtalk_long` is the Stream provider name of earlier releases —
 * and putting messages on the host's handoff queue.
 */
export const PLUGIN_PERMISSIONS: PluginPermission[] = [
  { type: 'integration', service: 'dingtalk', operations: ['read'] },
  { type: 'integration', service: 'dingtalk_long', operations: ['read'] },
  { type: 'handoff', operations: ['enqueue'] },
];

const plugin: XpertPlugin<PluginConfig> & { permissions: PluginPermission[] } = {
  permissions: PLUGIN_PERMISSIONS,
  meta: {
    name: packageJson.name,
    version: packageJson.version,
    category: 'integration',
    icon: DINGTALK_ICON,
    displayName: 'DingTalk',
    description: packageJson.description,
    keywords: packageJson.keywords ?? ['dingtalk'],
    author: 'Xpert AI',
  },
  config: {
    schema: pluginConfigSchema as unknown as NonNullable<XpertPlugin<PluginConfig>['config']>['schema'],
    defaults: {},
  },
  register(ctx) {
    // Providers get ctx through a token: ctx.resolve()/ctx.app do not work on 3.7 hosts.
    const config = parsePluginConfig(ctx.config);
    return {
      module: DingTalkPluginModule,
      global: true,
      providers: [
        { provide: DINGTALK_PLUGIN_CONTEXT, useValue: ctx },
        { provide: DINGTALK_PLUGIN_CONFIG, useValue: config },
        { provide: DINGTALK_CLOCK, useValue: () => Date.now() },
      ],
      exports: [DINGTALK_PLUGIN_CONTEXT, DINGTALK_PLUGIN_CONFIG, DINGTALK_CLOCK],
    };
  },
};

export default plugin;

// Native `import()` of a CommonJS file yields module.exports as `default`; exposing the plugin's
// fields as named exports too makes the host's `m.default ?? m` work for require() and import().
export const meta = plugin.meta;
export const config = plugin.config;
export const register = plugin.register;
export const permissions = plugin.permissions;
export { DingTalkPluginModule };
export { DingTalkError } from './kernel/errors';
export type { PluginConfig } from './config/plugin-config';
export type { DingTalkIntegrationOptions, IntegrationRecord } from './kernel/integration';
export {
  createCallbackCipher,
  signRobotRequest,
  verifyRobotRequest,
  signCardCallback,
  verifyCardCallback,
} from './dingtalk/crypto';
