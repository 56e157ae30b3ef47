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
  /**
   * A save of a record that has no id yet (a create): the 3.17 host calls no hook after it writes
   * the record, so the transport syncs a few times shortly after instead of at its next period.
   */
  abstract expectNewIntegration(): void;
}
