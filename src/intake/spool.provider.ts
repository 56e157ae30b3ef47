import type { Provider } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { IntakeSpool } from './spool-file';

/** The intake spool of this process, or null when `spool.enabled` is false (intake then answers 503 in an outage). */
export const intakeSpoolProvider: Provider = {
  provide: IntakeSpool,
  useFactory: (config: PluginConfig, now: () => number) =>
    config.spool.enabled ? new IntakeSpool({ dir: config.spool.dir, maxEvents: config.spool.maxEvents, maxBytes: config.spool.maxBytes, now }) : null,
  inject: [DINGTALK_PLUGIN_CONFIG, DINGTALK_CLOCK],
};
