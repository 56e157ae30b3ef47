import type { CardActionEvent, RobotMessageEvent, SubscribedPlatformEvent } from '../kernel/inbound-event';
import type { ActionEvent } from '../kernel/inbound-event';
import { PermanentJobError } from '../handoff/job-handler.port';
import { isRecord } from '../kernel/is-record';

/** A robot message as intake queues it (the raw payload stays out of the queue). */
export type StoredMessageEvent = Omit<RobotMessageEvent, 'raw'>;

/** `message` (written by intake, session key set). */
export interface MessageJobPayload {
  integrationId: string;
  event: StoredMessageEvent;
}

/** `flush` (no session key: it must not wait behind the session's queue; run_at = flushAt). */
export interface FlushJobPayload {
  integrationId: string;
  sessionKey: string;
  version: number;
  /** Epoch ms the buffer was due when this job was scheduled; tells apart a buffer re-created later. */
  flushAt: number;
}

/** `dispatch` (session key set, so the merged turn keeps the session's order). */
export interface DispatchJobPayload {
  integrationId: string;
  sessionKey: string;
  /** Oldest first. */
  events: StoredMessageEvent[];
}

/** `end_session` and `resume` (from signed links, or forwarded from a verified card button). */
export interface ActionJobPayload {
  integrationId: string;
  event: ActionEvent;
}

/** `card_action`: a card button press, or a signed link whose action has no handler of its own. */
export interface CardActionJobPayload {
  integrationId: string;
  event: Omit<CardActionEvent, 'raw'> | ActionEvent;
}

export interface PlatformEventJobPayload {
  integrationId: string;
  event: SubscribedPlatformEvent;
}

export const JOB_KINDS = {
  message: 'message',
  flush: 'flush',
  dispatch: 'dispatch',
  endSession: 'end_session',
  resume: 'resume',
  cardAction: 'card_action',
  platformEvent: 'platform_event',
} as const;

export const ACTIONS = { end: 'dingtalk:end', confirm: 'dingtalk:confirm', reject: 'dingtalk:reject' } as const;

/** A payload that can never be handled: dead-letter it at once with a clear reason. */
export function invalidPayload(kind: string, what: string): PermanentJobError {
  return new PermanentJobError('dingtalk_job_payload_invalid', `The ${kind} job payload is invalid: ${what}.`);
}

/** Re-exported for this folder's readers; the guard itself lives in ../is-record. */
export { isRecord };

export function isMessageEvent(value: unknown): value is StoredMessageEvent {
  return (
    isRecord(value) &&
    value.kind === 'message' &&
    typeof value.eventId === 'string' &&
    typeof value.conversationId === 'string' &&
    typeof value.senderId === 'string' &&
    (value.conversationType === 'private' || value.conversationType === 'group')
  );
}

export function isActionEvent(value: unknown): value is ActionEvent {
  return isRecord(value) && value.kind === 'action' && typeof value.eventId === 'string' && typeof value.action === 'string' && typeof value.sessionKey === 'string';
}

/** The integration id and the event of a job payload; without them the job is a dead letter saying why. */
export function jobEvent<E>(kind: string, payload: unknown, isEvent: (value: unknown) => value is E, expected: string): { integrationId: string; event: E } {
  const integrationId = requireIntegrationId(kind, payload);
  const event = isRecord(payload) ? payload.event : undefined;
  if (!isEvent(event)) throw invalidPayload(kind, `event is not ${expected}`);
  return { integrationId, event };
}

export function requireIntegrationId(kind: string, payload: unknown): string {
  if (!isRecord(payload) || typeof payload.integrationId !== 'string' || !payload.integrationId) throw invalidPayload(kind, 'integrationId is missing');
  return payload.integrationId;
}
