import { Injectable, Logger } from '@nestjs/common';
import type { ChecklistItem, TWorkflowTriggerMeta } from '@metad/contracts';
import { IWorkflowTriggerStrategy, TWorkflowTriggerParams, WorkflowTriggerStrategy } from '@xpert-ai/plugin-sdk';
import { PluginDatabase } from '../core/plugin-database.service';
import { IntegrationRecords } from '../host/integration-records.port';
import { PROVIDER_NAME } from '../kernel/tokens';
import { TriggerCallbacks, type TriggerCallback } from './trigger-callbacks';
import type { DingTalkTriggerConfig } from './trigger-config';
import { triggerMeta } from './trigger.meta';
import { TriggerPublisher } from './trigger-publisher';
import { TriggerValidator } from './trigger-validator';

/**
 * The DingTalk workflow trigger: binds a DingTalk integration to the expert that publishes it. Thin
 * Nest wrapper; the logic is in TriggerValidator and TriggerPublisher.
 *
 * 3.7 host semantics (host contract §4): publish is replayed at every boot, unawaited, and must never
 * reject; stop is never called; `bootstrap` is only read from SDK 3.8 on, where 'skip' avoids a
 * second replay path (our publish is idempotent either way). A 3.17 host republishes by diff: it
 * awaits stop() for a removed or changed trigger, then awaits publish(); neither ever rejects.
 */
@Injectable()
@WorkflowTriggerStrategy(PROVIDER_NAME)
export class DingTalkTriggerStrategy implements IWorkflowTriggerStrategy<DingTalkTriggerConfig> {
  readonly meta: TWorkflowTriggerMeta = triggerMeta;
  readonly bootstrap = { mode: 'skip' as const };

  private readonly logger = new Logger('DingTalkTrigger');
  private readonly validator: TriggerValidator;
  private readonly publisher: TriggerPublisher;

  constructor(database: PluginDatabase, integrations: IntegrationRecords, callbacks: TriggerCallbacks) {
    const deps = { database, integrations, callbacks, logger: this.logger };
    this.validator = new TriggerValidator(deps);
    this.publisher = new TriggerPublisher(deps);
  }

  validate(params: TWorkflowTriggerParams<DingTalkTriggerConfig>): Promise<ChecklistItem[]> {
    return this.validator.validate(params);
  }

  async publish(params: TWorkflowTriggerParams<DingTalkTriggerConfig>, callback: (payload: any) => void): Promise<void> {
    await this.publisher.publish(params, callback as TriggerCallback);
  }

  /** Removes this expert's binding of the integration (and its callback); resolves once it is gone. */
  async stop(params: TWorkflowTriggerParams<DingTalkTriggerConfig>): Promise<void> {
    await this.publisher.stop(params);
  }
}
