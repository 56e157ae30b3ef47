import type { NewHandoffJob } from './handoff.types';

/** What intake hands the inbox, and what it gets back (shared by the repository and its group commit). */
export interface InboxAcceptInput<P = unknown> {
  integrationId: string;
  /** DingTalk's id of the event (msgId, event id, card callback id): the dedupe key per integration. */
  eventId: string;
  kind: string;
  conversationId?: string | null;
  senderId?: string | null;
  /** The job to enqueue when (and only when) the event is new; it inherits integrationId. */
  job: Omit<NewHandoffJob<P>, 'integrationId'>;
}

export interface InboxAcceptResult {
  /** False for a redelivered event id: nothing was written. */
  accepted: boolean;
  jobId?: string;
}
