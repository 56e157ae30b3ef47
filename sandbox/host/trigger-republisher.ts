import type { WorkflowTriggerRegistry } from '@xpert-ai/plugin-sdk';
import type { HostProfile } from './host-profile';

/** One trigger node of a published expert: its provider (`from`) and its config. */
export interface PublishedTrigger {
  from: string;
  config: Record<string, unknown>;
}

/** What the host does with one trigger callback payload. */
export type TriggerPayloadHandler = (xpertId: string, payload: unknown) => Promise<unknown> | unknown;

interface Deps {
  profile: HostProfile;
  registry: () => WorkflowTriggerRegistry;
  onPayload: TriggerPayloadHandler;
  logger: { warn(message: string): void; error(message: string): void };
}

/**
 * Publishing an expert's triggers. 3.17 (`publish-triggers.handler.ts`): a diff by provider against
 * the previous publish — stop() for removed and changed triggers, then publish() for changed and
 * added ones, each awaited, failures logged and skipped (non-strict). 3.7: publish() for every
 * trigger, not awaited, and stop() never.
 */
export class TriggerRepublisher {
  private readonly published = new Map<string, Map<string, PublishedTrigger>>();

  constructor(private readonly deps: Deps) {}

  async publish(xpertId: string, triggers: PublishedTrigger[]): Promise<void> {
    const current = new Map(triggers.map((t) => [t.from, t]));
    if (this.deps.profile === '3.7') {
      for (const trigger of current.values()) void this.publishOne(xpertId, trigger).catch((error) => this.deps.logger.error(String(error)));
      this.published.set(xpertId, current);
      return;
    }
    const previous = this.published.get(xpertId) ?? new Map<string, PublishedTrigger>();
    for (const [from, before] of previous) {
      const now = current.get(from);
      if (now && stable(now.config) === stable(before.config)) continue;
      await this.stopOne(xpertId, before);
    }
    for (const [from, now] of current) {
      const before = previous.get(from);
      if (before && stable(now.config) === stable(before.config)) continue;
      await this.publishOne(xpertId, now).catch((error) => this.deps.logger.error(`Publish trigger "${from}" failed for xpert "${xpertId}": ${(error as Error).message}`));
    }
    this.published.set(xpertId, current);
  }

  private async stopOne(xpertId: string, trigger: PublishedTrigger): Promise<void> {
    const provider = this.provider(trigger.from, xpertId);
    try {
      await Promise.resolve(provider?.stop({ xpertId, config: trigger.config }));
    } catch (error) {
      this.deps.logger.warn(`Stop trigger "${trigger.from}" failed for xpert "${xpertId}": ${(error as Error).message}`);
    }
  }

  private async publishOne(xpertId: string, trigger: PublishedTrigger): Promise<void> {
    const provider = this.provider(trigger.from, xpertId);
    await Promise.resolve(provider?.publish({ xpertId, config: trigger.config }, (payload: unknown) => this.deps.onPayload(xpertId, payload)));
  }

  private provider(from: string, xpertId: string) {
    try {
      return this.deps.registry().get(from, 'global');
    } catch {
      this.deps.logger.warn(`Trigger provider "${from}" not found for xpert "${xpertId}", skip reconcile`);
      return null;
    }
  }
}

/** Key-order independent serialisation, so an unchanged config is recognised as such. */
function stable(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  return `{${Object.keys(value as object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stable((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}
