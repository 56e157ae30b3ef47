/** Nest injection tokens shared by the plugin's providers. */
export const DINGTALK_PLUGIN_CONTEXT = Symbol.for('xpert.plugin.dingtalk.context');
export const DINGTALK_PLUGIN_CONFIG = Symbol.for('xpert.plugin.dingtalk.config');
export const DINGTALK_CLOCK = Symbol.for('xpert.plugin.dingtalk.clock');
export const PROVIDER_NAME = 'dingtalk';
