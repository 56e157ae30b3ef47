import type { TWorkflowTriggerParams } from '@xpert-ai/plugin-sdk';
import type { IntegrationRecords } from '../host/integration-records.port';
import { TriggerBindingRepository, type Queryable, type TriggerBinding } from '../persistence';
import { silentLogger, type LoggerPort } from '../kernel/logger';
import { isDingTalkProvider } from '../kernel/tokens';
import type { TriggerCallback, TriggerCallbacks } from './trigger-callbacks';
import { TRIGGER_CHECK } from './trigger-checklist';
import { clampTriggerConfig, readTriggerConfig, toBindingConfig } from './trigger-config';
import { codeOf } from './trigger-validator';

export interface TriggerPublisherDeps {
  database: { open(): Promise<Queryable> };
  integrations: Pick<IntegrationRecords, 'get'>;
  callbacks: TriggerCallbacks;
  logger?: LoggerPort;
}

export type PublishOutcome =
  | { status: 'bound'; binding: TriggerBinding }
  /** Nothing to bind (no/unknown integration, or disabled on an integration held by another). */
  | { status: 'skipped'; code: string }
  /** Another expert holds the integration: nothing was changed. */
  | { status: 'conflict'; code: string; heldBy: string }
  /** The database or the host table failed; the callback is registered, the binding is not written. */
  | { status: 'failed'; code: string };

/**
 * publish()/stop() of the DingTalk trigger. A 3.7 host calls publish unawaited at every boot (and on
 * every publish), so `publish` NEVER rejects: every failure is logged with its code and reported
 * as an outcome. It is idempotent: the binding is an upsert and the callback replaces the earlier one.
 */
export class TriggerPublisher {
  private readonly logger: LoggerPort;

  constructor(private readonly deps: TriggerPublisherDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  async publish(params: TWorkflowTriggerParams<unknown>, callback: TriggerCallback): Promise<PublishOutcome> {
    try {
      return await this.bind(params, callback);
    } catch (error) {
      // Even the logging/registration path must not reject.
      return { status: 'failed', code: codeOf(error) };
    }
  }

  async stop(params: TWorkflowTriggerParams<unknown>): Promise<void> {
    try {
      const xpertId = params?.xpertId;
      if (!xpertId) return;
      this.deps.callbacks.unregister(xpertId);
      const { integrationId } = readTriggerConfig(params.config);
      if (!integrationId) return;
      // Only if this expert still holds it: a late stop() must not unbind a successor.
      await new TriggerBindingRepository(await this.deps.database.open()).remove(integrationId, xpertId);
      this.logger.log(`dingtalk trigger stopped xpert=${xpertId} integration=${integrationId}`);
    } catch (error) {
      this.logger.warn(`dingtalk trigger stop failed code=${codeOf(error)}`);
    }
  }

  private async bind(params: TWorkflowTriggerParams<unknown>, callback: TriggerCallback): Promise<PublishOutcome> {
    const xpertId = params?.xpertId;
    if (!xpertId) {
      this.logger.warn('dingtalk trigger publish without xpertId; ignored');
      return { status: 'skipped', code: 'dingtalk_trigger_xpert_missing' };
    }
    const config = clampTriggerConfig(readTriggerConfig(params.config));
    const integrationId = config.integrationId;
    if (!integrationId) return this.skip(xpertId, callback, TRIGGER_CHECK.integrationMissing);

    let record;
    try {
      record = await this.deps.integrations.get(integrationId);
    } catch (error) {
      return this.fail(xpertId, integrationId, callback, error);
    }
    if (!record) return this.skip(xpertId, callback, TRIGGER_CHECK.integrationNotFound, integrationId);
    if (!isDingTalkProvider(record.provider)) return this.skip(xpertId, callback, TRIGGER_CHECK.integrationNotDingTalk, integrationId);

    try {
      const bindings = new TriggerBindingRepository(await this.deps.database.open());
      const existing = await bindings.findByIntegration(integrationId);
      if (existing && existing.xpertId !== xpertId && (existing.enabled || !config.enabled)) {
        // Change nothing, register nothing: the other expert keeps the integration.
        const code = TRIGGER_CHECK.integrationBound;
        if (existing.enabled) {
          this.logger.warn(`dingtalk trigger publish refused code=${code} xpert=${xpertId} integration=${integrationId} heldBy=${existing.xpertId}`);
          return { status: 'conflict', code, heldBy: existing.xpertId };
        }
        return { status: 'skipped', code };
      }
      const binding = await bindings.upsert({
        integrationId,
        xpertId,
        tenantId: record.tenantId,
        organizationId: record.organizationId,
        enabled: config.enabled,
        config: toBindingConfig(config),
      });
      this.deps.callbacks.register(xpertId, callback);
      this.logger.log(`dingtalk trigger published xpert=${xpertId} integration=${integrationId} enabled=${config.enabled}`);
      return { status: 'bound', binding };
    } catch (error) {
      return this.fail(xpertId, integrationId, callback, error);
    }
  }

  /**
   * The callback is still registered: the expert may be an integration's fallback expert, and a
   * binding written by an earlier publish survives restarts while the callback does not.
   */
  private skip(xpertId: string, callback: TriggerCallback, code: string, integrationId?: string): PublishOutcome {
    this.deps.callbacks.register(xpertId, callback);
    this.logger.warn(`dingtalk trigger publish skipped code=${code} xpert=${xpertId}${integrationId ? ` integration=${integrationId}` : ''}`);
    return { status: 'skipped', code };
  }

  private fail(xpertId: string, integrationId: string, callback: TriggerCallback, error: unknown): PublishOutcome {
    this.deps.callbacks.register(xpertId, callback);
    const code = codeOf(error);
    this.logger.error(`dingtalk trigger publish could not write the binding code=${code} xpert=${xpertId} integration=${integrationId}; publish again once the database is back`);
    return { status: 'failed', code };
  }
}
