import { Injectable } from '@nestjs/common';
import { IntegrationStrategyKey } from '@xpert-ai/plugin-sdk';
import type { TIntegrationProvider } from '@metad/contracts';
import { STREAM_PROVIDER_NAME } from '../kernel/tokens';
import { DingTalkIntegrationStrategy } from './dingtalk-integration.strategy';
import { streamIntegrationMeta } from './integration.meta';
import { IntegrationResolver } from './integration-resolver';
import { StreamConnections } from './stream-connections.port';
import { IntegrationTestService } from './integration-test.service';

/**
 * `dingtalk_long`: the provider under which the earlier 0.0.9 plugin saved Stream-mode
 * integrations. Registered so those records keep working (and stay editable) after an upgrade; the
 * same code serves them, always in Stream mode.
 */
@Injectable()
@IntegrationStrategyKey(STREAM_PROVIDER_NAME)
export class DingTalkLongIntegrationStrategy extends DingTalkIntegrationStrategy {
  override readonly meta: TIntegrationProvider = streamIntegrationMeta as unknown as TIntegrationProvider;
  protected override readonly provider: string = STREAM_PROVIDER_NAME;

  constructor(tester: IntegrationTestService, receiver: StreamConnections, integrations: IntegrationResolver) {
    super(tester, receiver, integrations);
  }
}
