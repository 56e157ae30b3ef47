/**
 * Runs an expert through the host's trigger callback (the function the host handed `publish()`).
 *
 * On a 3.7 host the callback only queues a run (as the expert's creator, in a new conversation)
 * and throws its output away (host contract §4). So this runner cannot stream: it hands over the
 * turn with the DingTalk run context in `state.human.dingtalk`, and the DingTalk notify middleware
 * inside the expert posts the answer (its `autoReply`). The run therefore resolves at once with
 * `{text:'', status:'idle'}`; callers must treat that as "delivered elsewhere" and send no answer.
 */
import { DingTalkError } from '../kernel/errors';
import { DINGTALK_RUN_CONTEXT_KEY, type DingTalkRunContext } from '../kernel/run-context';
import type { TriggerCallback } from '../trigger/trigger-callbacks';
import type { ExpertEventHandler, ExpertRunInput, ExpertRunResult, ExpertRunner } from './expert-runner.port';

/** What the callback receives; the 3.7 host reads only `state`. */
export interface HostCallbackPayload {
  from: 'dingtalk';
  xpertId: string;
  state: {
    human: {
      input: string;
      files?: { url?: string; name?: string; id?: string }[];
      [DINGTALK_RUN_CONTEXT_KEY]: DingTalkRunContext;
    };
  };
}

export class HostCallbackRunner implements ExpertRunner {
  readonly name = 'host-callback';

  constructor(
    private readonly callback: TriggerCallback,
    private readonly context: DingTalkRunContext,
  ) {}

  async run(input: ExpertRunInput, onEvent: ExpertEventHandler): Promise<ExpertRunResult> {
    if (input.signal?.aborted) throw new DingTalkError('dingtalk_expert_aborted', 'The expert run was cancelled before it started.', 499);
    if (input.resume) {
      // The host callback has no resume: each call is a fresh run in a new conversation.
      throw new DingTalkError('dingtalk_expert_resume_unsupported', 'This expert runs through the host trigger, which cannot resume a confirmation; set an Xpert API key on the trigger.', 409);
    }
    const payload: HostCallbackPayload = {
      from: 'dingtalk',
      xpertId: input.xpertId,
      state: {
        human: {
          input: input.text,
          ...(input.files?.length ? { files: input.files.map((file) => ({ ...file })) } : {}),
          [DINGTALK_RUN_CONTEXT_KEY]: { ...this.context },
        },
      },
    };
    try {
      // The host's callback may return the queue insert's promise: a failure there means nothing
      // ran, so rejecting (a safe retry) is right.
      await this.callback(payload);
    } catch (error) {
      throw new DingTalkError('dingtalk_trigger_callback_failed', 'The Xpert host did not accept the run; it is retried.', 503, {
        cause: error instanceof Error ? error.name : typeof error,
      });
    }
    await onEvent({ type: 'end', status: 'idle' });
    return { text: '', status: 'idle' };
  }
}
