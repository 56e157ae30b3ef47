import { Injectable, Logger } from '@nestjs/common';
import { IntegrationStrategy, IntegrationStrategyKey, RequestContext, TIntegrationStrategyParams } from '@xpert-ai/plugin-sdk';
import type { IIntegration, TIntegrationProvider } from '@metad/contracts';
import { parseIntegrationOptions } from '../config/integration.schema';
import type { DingTalkIntegrationOptions } from '../kernel/integration';
import type { IntegrationStrategyHooks317 } from '../host/host-317.types';
import { IntegrationResolver } from './integration-resolver';
import { StreamConnections } from './stream-connections.port';
import { requestOrigin } from '../http/request-origin';
import { isDingTalkProvider, PROVIDER_NAME, STREAM_PROVIDER_NAME } from '../kernel/tokens';
import { integrationMeta } from './integration.meta';
import { IntegrationTestService, type DingTalkChecklist } from './integration-test.service';

@Injectable()
@IntegrationStrategyKey(PROVIDER_NAME)
export class DingTalkIntegrationStrategy
  implements Omit<IntegrationStrategy<DingTalkIntegrationOptions>, 'validateConfig'>, IntegrationStrategyHooks317<DingTalkIntegrationOptions, IIntegration<DingTalkIntegrationOptions>>
{
  readonly meta: TIntegrationProvider = integrationMeta as unknown as TIntegrationProvider;
  /** The provider key this strategy is registered under. */
  protected readonly provider: string = PROVIDER_NAME;
  private readonly logger = new Logger('DingTalkIntegration');

  constructor(
    protected readonly tester: IntegrationTestService,
    protected readonly receiver: StreamConnections,
    protected readonly integrations: IntegrationResolver,
  ) {}

  /**
   * The 3.7 host never calls `execute` for integrations (only knowledge strategies are executed);
   * DingTalk work starts from webhooks, Stream frames and triggers instead.
   */
  async execute(_integration: IIntegration<DingTalkIntegrationOptions>, _payload: TIntegrationStrategyParams): Promise<null> {
    return null;
  }

  /**
   * 3.17: the Test button (`POST /api/integration/test`) and every save call this with the form's
   * settings. A throw blocks the save (bad field, rejected credentials); everything else the admin
   * still has to fix comes back as `warnings`. The result carries no `options`/`name`, which the
   * host would otherwise write over the stored record.
   */
  async validateConfig(config: DingTalkIntegrationOptions, integration?: IIntegration<DingTalkIntegrationOptions>): Promise<DingTalkChecklist> {
    const provider = integration?.provider ?? this.provider;
    const options = config ?? integration?.options;
    const checklist = await this.tester.checklist({ id: integration?.id, provider, options, origin: currentOrigin() });
    // Only reached when the checklist did not throw, i.e. the host is about to write the record.
    if (!integration?.id && (options?.mode === 'stream' || (options?.mode === undefined && provider === STREAM_PROVIDER_NAME))) this.receiver.expectNewIntegration();
    return checklist;
  }

  /** 3.17, after validation and before the record is written: bring the Stream connection in line. */
  async onUpdate(previous: IIntegration<DingTalkIntegrationOptions>, current: IIntegration<DingTalkIntegrationOptions>): Promise<void> {
    const id = current?.id ?? previous?.id;
    if (!id) return;
    this.integrations.markSaved(id);
    let options: DingTalkIntegrationOptions | null = null;
    if (current?.provider === undefined || isDingTalkProvider(current.provider)) {
      try {
        options = parseIntegrationOptions(current?.options, current?.provider ?? this.provider);
      } catch {
        // Settings the save accepted but Stream cannot use: no connection rather than a stale one.
      }
    }
    await this.receiver.apply(options ? { ...toRecord(current, id, current?.provider ?? this.provider), options } : null, id);
    this.logger.log(`dingtalk integration ${id} updated; connection re-synced`);
  }

  /** 3.17, before the record is deleted: close the connection and stop accepting its webhooks. */
  async onDelete(integration: IIntegration<DingTalkIntegrationOptions>): Promise<void> {
    if (!integration?.id) return;
    this.integrations.markDeleted(integration.id);
    await this.receiver.close(integration.id);
    this.logger.log(`dingtalk integration ${integration.id} deleted; connection closed`);
  }
}

function toRecord(integration: IIntegration<DingTalkIntegrationOptions>, id: string, provider: string) {
  return {
    id,
    tenantId: integration.tenantId ?? null,
    organizationId: integration.organizationId ?? null,
    name: integration.name ?? null,
    provider,
  };
}

/** The admin's request origin, when validateConfig runs inside one (the host's request context). */
function currentOrigin(): string | undefined {
  try {
    const request = RequestContext.currentRequest() as unknown as { headers?: Record<string, string | string[] | undefined>; protocol?: string } | undefined;
    return request?.headers ? requestOrigin(request) : undefined;
  } catch {
    return undefined;
  }
}
