/**
 * Request bodies for the host's Agent Protocol threads API (chat API notes §1.5, §2.4).
 *
 * Why the legacy nested shape `{assistant_id, input:{input:{input:text}}}`: at SDK-3.7.2 and tag
 * 3.7.2 the handler treats `body.input` as a whole legacy `TChatRequest` and reads the text from
 * `input.input.input`; HEAD still accepts that legacy shape and normalises it. The v2 `action` shape
 * only works from 3.8.4, the 3.7.1 shallow shape loses the text at 3.7.2.
 *
 * Resume body, chosen to work on every version we target:
 *   {assistant_id, input:{input:{input:<marker>}, confirm:<bool>, command:{resume:<value>}}}
 * - 3.7.2 forwards `input` and `command` only (not `confirm`): `command.resume` resumes the graph,
 *   so a reject must be expressed inside the resume value (HITL `decisions:[{type:'reject'}]`).
 *   `input.input` must be an object there, or the chat handler dereferences undefined (HTTP 500).
 * - 3.8.0–3.8.3 validate `input.input` as a non-empty string, so the marker is never empty: it is
 *   the user's reply text (or `confirm`/`reject`) and becomes the visible human message of the turn.
 * - HEAD normalises a legacy body holding `confirm`/`command` into `{action:'resume', decision:
 *   {type: confirm===false ? 'reject' : 'confirm', payload: command.resume}}` and ignores the marker.
 *
 * Not forwarded by the threads API at 3.7.2, so deliberately not sent: language and end-user id.
 */
import type { ExpertRunInput } from './expert-runner.port';
import { buildHitlResume } from './interrupt-prompt';

export interface ThreadCreateBody {
  thread_id: string;
  metadata: { title?: string };
}

export interface RunStreamBody {
  assistant_id: string;
  input: {
    input: { input: string; files?: unknown[] };
    confirm?: boolean;
    command?: { resume: unknown };
  };
}

const MAX_TITLE_CHARS = 100;

export function buildThreadCreateBody(input: Pick<ExpertRunInput, 'threadId' | 'title'>): ThreadCreateBody {
  const title = input.title?.trim();
  return {
    thread_id: input.threadId,
    metadata: title ? { title: title.slice(0, MAX_TITLE_CHARS) } : {},
  };
}

export function buildRunStreamBody(input: ExpertRunInput): RunStreamBody {
  if (!input.resume) {
    const human: RunStreamBody['input']['input'] = { input: input.text };
    if (input.files?.length) human.files = input.files.map((file) => ({ ...file }));
    return { assistant_id: input.xpertId, input: { input: human } };
  }
  const { decision, payload, message, operation } = input.resume;
  const resume = payload !== undefined ? payload : buildHitlResume(decision, message, operation);
  const marker = input.text.trim() || decision;
  return {
    assistant_id: input.xpertId,
    input: { input: { input: marker }, confirm: decision === 'confirm', command: { resume } },
  };
}
