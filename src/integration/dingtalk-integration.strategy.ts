import { Injectable } from '@nestjs/common';
import { IntegrationStrategy, IntegrationStrategyKey, TIntegrationStrategyParams } from '@xpert-ai/plugin-sdk';
import type { IIntegration, TIntegrationProvider } from '@metad/contracts';
import { parseIntegrationOptions } from '../config/integration.schema';
import type { DingTalkIntegrationOptions } from '../config/integration-options';
import { PROVIDER_NAME } from '../tokens';
import { integrationMeta } from './integration.meta';
import { IntegrationTestService } from './integration-test.service';

@Injectable()
@IntegrationStrategyKey(PROVIDER_NAME)
export class DingTalkIntegrationStrategy implements IntegrationStrategy<DingTalkIntegrationOptions> {
  readonly meta: TIntegrationProvider = integrationMeta as unknown as TIntegrationProvider;
  /** The provider key this strategy is registered under. */
  protected readonly provider: string = PROVIDER_NAME;

  constructor(protected readonly tester: IntegrationTestService) {}

  /**
   * The 3.7 host never calls `execute` for integrations (only knowledge strategies are executed);
   * DingTalk work starts from webhooks, Stream frames and triggers instead.
   */
  async execute(_integration: IIntegration<DingTalkIntegrationOptions>, _payload: TIntegrationStrategyParams): Promise<null> {
    return null;
  }

  /** Called by the host's `POST /api/integration/test`: static checks, then the credentials against DingTalk. */
  async validateConfig(config: DingTalkIntegrationOptions): Promise<void> {
    const options = parseIntegrationOptions(config, this.provider);
    await this.tester.test({ provider: this.provider, options: options as unknown as Record<string, unknown> });
  }
}
