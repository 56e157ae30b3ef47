import { isDingTalkError } from '../kernel/errors';
import { notifyError } from './notify-errors';

/**
 * Notify sends go through the shared delivery's outbox state machine (`sendOnce`); what is the
 * tools' own is only how its refusals read to a model.
 */
export { IN_FLIGHT_MS } from '../delivery/send-once';

/** The delivery's "still in flight" refusal, worded for the tool caller. */
export function asNotifyError(error: unknown): unknown {
  if (isDingTalkError(error) && error.code === 'delivery_in_flight') {
    return notifyError('notify_send_in_progress', 'An identical send from this same tool call is still in progress; it was not sent a second time. Wait for it instead of repeating the call.');
  }
  return error;
}
