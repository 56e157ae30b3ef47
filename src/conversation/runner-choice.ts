import { DingTalkError } from '../kernel/errors';
import type { TriggerBinding } from '../persistence';
import { CALLBACK_MISSING_CODE, type RunnerChoice, type RunnerScope } from '../runner/runner.selector';
import type { ConversationCore } from './conversation.deps';
import type { DingTalkRunContext } from '../kernel/run-context';

/**
 * Picks the runner for `xpertId`, in this order: the expert's own trigger settings (API key), the
 * host's dispatch (a 3.17 host; `scope` names the tenant it runs in), the host callback registered
 * on this replica, and — for a session kept on its expert after the
 * trigger was rebound, which has no settings of its own any more — the integration's current API
 * key (a 3.7 API key acts as its creator across the organization, not for one expert only).
 * Throws the selector's retryable "no replica has this expert's trigger callback" otherwise.
 */
export async function chooseRunner(core: ConversationCore, xpertId: string, trigger: TriggerBinding | null, context: DingTalkRunContext, scope?: RunnerScope): Promise<RunnerChoice> {
  const own = await core.router.runnerConfig(xpertId, trigger);
  try {
    return core.deps.runners.select(xpertId, own, context, scope);
  } catch (error) {
    const key = trigger?.config?.xpertApiKey;
    if (!(error instanceof DingTalkError) || error.code !== CALLBACK_MISSING_CODE || !key || trigger?.xpertId === xpertId) throw error;
    return core.deps.runners.select(xpertId, { xpertApiKey: key, xpertApiBaseUrl: trigger.config.xpertApiBaseUrl }, context, scope);
  }
}
