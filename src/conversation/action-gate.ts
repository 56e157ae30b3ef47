import type { ActionEvent } from '../kernel/inbound-event';
import { ActionUseRepository, ConversationBindingRepository, type Queryable } from '../persistence';

/** Why a verified, signed action changes nothing. */
export type ActionRefusal = 'not_this_integration' | 'outdated' | 'used';

export interface ActionTarget {
  integrationId: string;
  sessionKey: string;
  nonce?: string;
  threadId?: string;
}

/**
 * Where a signed End / Confirm / Reject may act: a session of the link's own integration, in the
 * conversation the link was issued for (the binding's thread then), and only once. Checked at the
 * door (to answer the person) and again by the job that acts (the door's answer is not a lock).
 */
export async function checkActionTarget(db: Queryable, target: ActionTarget): Promise<ActionRefusal | undefined> {
  if (!target.sessionKey.startsWith(`${target.integrationId}:`)) return 'not_this_integration';
  if (!target.nonce || !target.threadId) return 'outdated';
  const binding = await new ConversationBindingRepository(db).get(target.sessionKey);
  if (!binding || binding.integrationId !== target.integrationId) return 'not_this_integration';
  if (binding.threadId !== target.threadId) return 'outdated';
  if (await new ActionUseRepository(db).isUsed(target.integrationId, target.nonce)) return 'used';
  return undefined;
}

/**
 * The job's side: re-checks the target and records the nonce as used by this job, in one
 * transaction. A retry of the same job is admitted again; any other use is refused.
 */
export async function admitAction(
  db: { tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> },
  input: { integrationId: string; event: ActionEvent; jobId: string; now: Date },
): Promise<ActionRefusal | undefined> {
  const { event } = input;
  return db.tx(async (q) => {
    const target = { integrationId: input.integrationId, sessionKey: event.sessionKey, nonce: event.nonce, threadId: event.threadId };
    const refusal = await checkActionTarget(q, target);
    if (refusal && refusal !== 'used') return refusal;
    const first = await new ActionUseRepository(q).claim(
      { integrationId: input.integrationId, nonce: event.nonce as string, action: event.action, sessionKey: event.sessionKey, jobId: input.jobId },
      input.now,
    );
    return first ? undefined : 'used';
  });
}
