import type { DingTalkIntegration } from '../kernel/integration';
import { TriggerBindingRepository, type ConversationBinding, type Queryable, type TriggerBinding, type TriggerBindingConfig } from '../persistence';
import { sessionTimeoutOf, summaryWindowOf } from '../trigger/trigger-config';
import type { Sessions } from './sessions';

export type RouteSource = 'session' | 'trigger' | 'fallback';

export interface Route {
  xpertId: string;
  source: RouteSource;
  /** The live session that decided the route (source 'session'). */
  session: ConversationBinding | null;
  /** The integration's trigger binding, whether or not it decided the route. */
  trigger: TriggerBinding | null;
  timeoutSeconds: number;
}

/**
 * Which expert answers a session, in this order:
 *   1. the session's live conversation binding — it keeps its expert even after the trigger was
 *      rebound or disabled, until it ends or times out (a conversation never switches experts);
 *   2. the integration's enabled trigger binding;
 *   3. the integration's fallback `xpertId`;
 *   4. none ("not connected").
 * Timeouts and the summary window are the integration's trigger settings (defaults without one).
 */
export class Router {
  private readonly triggers: TriggerBindingRepository;

  constructor(
    db: Queryable,
    private readonly sessions: Sessions,
  ) {
    this.triggers = new TriggerBindingRepository(db);
  }

  async trigger(integrationId: string): Promise<TriggerBinding | null> {
    return this.triggers.findByIntegration(integrationId);
  }

  /** Summary window of the integration: only an enabled trigger's setting counts. */
  summaryWindowSeconds(trigger: TriggerBinding | null): number {
    return trigger?.enabled ? summaryWindowOf(trigger.config) : 0;
  }

  /** `known`: the integration's trigger binding as this job already read it; undefined reads it here. */
  async route(integration: Pick<DingTalkIntegration, 'id' | 'options'>, sessionKey: string, known?: TriggerBinding | null): Promise<Route | null> {
    const trigger = known !== undefined ? known : await this.triggers.findByIntegration(integration.id);
    const timeoutSeconds = sessionTimeoutOf(trigger?.config);
    const session = await this.sessions.live(sessionKey, timeoutSeconds);
    let xpertId: string | undefined;
    let source: RouteSource | undefined;
    if (session) [xpertId, source] = [session.xpertId, 'session'];
    else if (trigger?.enabled) [xpertId, source] = [trigger.xpertId, 'trigger'];
    else if (integration.options.xpertId) [xpertId, source] = [integration.options.xpertId, 'fallback'];
    if (!xpertId || !source) return null;
    return { xpertId, source, session, trigger, timeoutSeconds };
  }

  /**
   * The expert's own trigger settings (API key…): the integration's binding when the expert holds
   * it, else another binding of the same expert (a fallback expert bound elsewhere), enabled first.
   */
  async runnerConfig(xpertId: string, trigger: TriggerBinding | null): Promise<TriggerBindingConfig | null> {
    if (trigger && trigger.xpertId === xpertId) return trigger.config;
    const own = await this.triggers.findByXpert(xpertId);
    return (own.find((binding) => binding.enabled) ?? own[0])?.config ?? null;
  }
}
