import type { DingTalkRunContext } from '../../../src/kernel/run-context';
import { toRunContext } from '../../../src/kernel/run-context';
import { DingTalkError } from '../../../src/kernel/errors';
import { PermanentJobError } from '../../../src/handoff/job-handler.port';
import { readRunContext, type DingTalkRunContext as NotifyRunContext } from '../../../src/notify/dingtalk-run-context';
import type { ExpertStreamEvent } from '../../../src/runner/expert-runner.port';
import { HostCallbackRunner } from '../../../src/runner/host-callback.runner';
import { CALLBACK_MISSING_CODE, defaultXpertApiBaseUrl, RunnerSelector } from '../../../src/runner/runner.selector';
import { XpertApiRunner } from '../../../src/runner/xpert-api.runner';
import { TriggerCallbacks } from '../../../src/trigger/trigger-callbacks';

const context: DingTalkRunContext = {
  integrationId: 'int-1',
  conversationType: 'group',
  conversationId: 'cid-g',
  senderStaffId: 'staff-1',
  senderNick: 'Alice',
  sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=1',
  sessionWebhookExpiresAt: 1_700_000_000_000,
  eventId: 'msg-1',
  language: 'zh-Hans',
};

// Compile-time contract: the notify middleware reads exactly the type the engine writes.
const _forward: NotifyRunContext = context;
const _backward: DingTalkRunContext = _forward;
void _backward;

const input = { xpertId: 'xpert-1', sessionKey: 'int-1:cid-g:staff-1', threadId: 't-1', text: 'hello' };

describe('HostCallbackRunner', () => {
  it('hands the turn to the callback with the run context in state.human.dingtalk and resolves at once', async () => {
    const payloads: unknown[] = [];
    const events: ExpertStreamEvent[] = [];
    const runner = new HostCallbackRunner((payload) => void payloads.push(payload), context);
    const result = await runner.run({ ...input, files: [{ url: 'https://f/1', name: 'a.png' }] }, (event) => void events.push(event));
    expect(result).toEqual({ text: '', status: 'idle' });
    expect(events).toEqual([{ type: 'end', status: 'idle' }]);
    expect(payloads).toEqual([
      { from: 'dingtalk', xpertId: 'xpert-1', state: { human: { input: 'hello', files: [{ url: 'https://f/1', name: 'a.png' }], dingtalk: context } } },
    ]);
    // What the notify middleware parses out of that state is the same object.
    expect(readRunContext((payloads[0] as { state: unknown }).state)).toEqual(context);
  });

  it('a callback that throws or rejects means nothing ran: a coded, retryable rejection', async () => {
    const throwing = new HostCallbackRunner(() => {
      throw new Error('queue down');
    }, context);
    await expect(throwing.run(input, () => undefined)).rejects.toMatchObject({ code: 'dingtalk_trigger_callback_failed' });
    const rejecting = new HostCallbackRunner(() => Promise.reject(new Error('redis down')), context);
    const error = await rejecting.run(input, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DingTalkError);
    expect(error).not.toBeInstanceOf(PermanentJobError);
  });

  it('cannot resume, and honours an aborted signal', async () => {
    const runner = new HostCallbackRunner(jest.fn(), context);
    await expect(runner.run({ ...input, resume: { decision: 'confirm' } }, () => undefined)).rejects.toMatchObject({ code: 'dingtalk_expert_resume_unsupported' });
    const controller = new AbortController();
    controller.abort();
    await expect(runner.run({ ...input, signal: controller.signal }, () => undefined)).rejects.toMatchObject({ code: 'dingtalk_expert_aborted' });
  });
});

describe('toRunContext', () => {
  it('copies the reply target, leaving absent fields out', () => {
    expect(toRunContext({ integrationId: 'i', conversationType: 'private', conversationId: 'c', language: 'en' }, 'e')).toEqual({
      integrationId: 'i',
      conversationType: 'private',
      conversationId: 'c',
      eventId: 'e',
      language: 'en',
    });
  });
});

describe('RunnerSelector', () => {
  it('API key → the Xpert API runner (streamed), one per key; else the callback (detached); else a retryable error', () => {
    const callbacks = new TriggerCallbacks();
    const selector = new RunnerSelector({ callbacks, defaultApiBaseUrl: 'http://127.0.0.1:3000' });
    const api = selector.select('x', { xpertApiKey: 'sk-1' }, context);
    expect(api.delivery).toBe('stream');
    expect(api.runner).toBeInstanceOf(XpertApiRunner);
    expect(selector.select('y', { xpertApiKey: 'sk-1' }, context).runner).toBe(api.runner);
    expect(selector.select('x', { xpertApiKey: 'sk-2', xpertApiBaseUrl: 'https://other' }, context).runner).not.toBe(api.runner);

    let error: unknown;
    try {
      selector.select('x', {}, context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DingTalkError);
    expect(error).not.toBeInstanceOf(PermanentJobError);
    expect(error).toMatchObject({ code: CALLBACK_MISSING_CODE, message: expect.stringMatching(/^No replica has this expert's trigger callback/) });

    callbacks.register('x', jest.fn());
    const host = selector.select('x', null, context);
    expect(host).toMatchObject({ delivery: 'detached' });
    expect(host.runner).toBeInstanceOf(HostCallbackRunner);
  });

  it('passes the chosen origin to the API runner', () => {
    const created: string[] = [];
    const selector = new RunnerSelector({
      callbacks: new TriggerCallbacks(),
      defaultApiBaseUrl: 'http://default',
      createApiRunner: (options) => {
        created.push(options.baseUrl);
        return { name: 'fake', run: jest.fn() };
      },
    });
    selector.select('x', { xpertApiKey: 'k' }, context);
    selector.select('x', { xpertApiKey: 'k', xpertApiBaseUrl: 'https://api.example.com' }, context);
    expect(created).toEqual(['http://default', 'https://api.example.com']);
  });

  it('default API origin: plugin config, else this host on PORT', () => {
    expect(defaultXpertApiBaseUrl('https://cfg', {})).toBe('https://cfg');
    expect(defaultXpertApiBaseUrl(undefined, { PORT: '8080' })).toBe('http://127.0.0.1:8080');
    expect(defaultXpertApiBaseUrl(undefined, {})).toBe('http://127.0.0.1:3000');
  });
});
