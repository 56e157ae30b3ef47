import type { DingTalkIntegration } from '../kernel/integration';

/**
 * What the integration lifecycle needs of the Stream transport: open, re-open or close the
 * connection of one integration when the host saves or deletes it. The intake's Stream receiver
 * provides it; naming the port here keeps the lifecycle from depending on the transport edge.
 */
export abstract class StreamConnections {
  /** Connect (or reconnect with new settings); `null` means the integration is gone or not Stream. */
  abstract apply(integration: DingTalkIntegration | null, integrationId: string): Promise<void>;
  abstract close(integrationId: string): Promise<void>;
}
