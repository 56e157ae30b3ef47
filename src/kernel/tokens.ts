/** Nest injection tokens shared by the plugin's providers. */
export const DINGTALK_PLUGIN_CONTEXT = Symbol.for('xpert.plugin.dingtalk.context');
export const DINGTALK_PLUGIN_CONFIG = Symbol.for('xpert.plugin.dingtalk.config');
export const DINGTALK_CLOCK = Symbol.for('xpert.plugin.dingtalk.clock');
export const PROVIDER_NAME = 'dingtalk';
/** Provider of Stream-mode integrations saved by the earlier 0.0.9 plugin; served by the same code. */
export const STREAM_PROVIDER_NAME = 'dingtalk_long';
export const PROVIDER_NAMES: readonly string[] = [PROVIDER_NAME, STREAM_PROVIDER_NAME];
/** The integration picker of triggers and the notify middleware: both providers, the caller's tenant only. */
export const INTEGRATION_OPTIONS_URL = `/api/${PROVIDER_NAME}/integration-select-options`;

/** True for an integration record this plugin serves (either provider). */
export function isDingTalkProvider(provider: string | null | undefined): boolean {
  return typeof provider === 'string' && PROVIDER_NAMES.includes(provider);
}
