import type { ConversationDeps } from '../../../src/conversation/conversation.deps';
import { createJobHandlers } from '../../../src/conversation/job-handlers.factory';
import { PermanentJobError } from '../../../src/handoff/job-handler.port';
import type { HandoffJob } from '../../../src/persistence';

/** Ports that fail the test if touched: a bad payload must be refused before any work. */
const untouchable = (): ConversationDeps => ({
  database: { open: () => Promise.reject(new Error('database must not be opened')) },
  integrations: { resolve: () => Promise.reject(new Error('integration must not be resolved')) },
  reply: { open: () => Promise.reject(new Error('no reply')), notice: () => Promise.reject(new Error('no notice')) },
  runners: { select: () => { throw new Error('no runner'); } },
  now: () => 0,
});

const job = (kind: string, payload: unknown): HandoffJob =>
  ({ id: 'j', seq: 1, kind, integrationId: 'i', sessionKey: null, payload, status: 'running', attempts: 1, maxAttempts: 5 }) as unknown as HandoffJob;

describe('job handlers refuse invalid payloads with a permanent error', () => {
  const handlers = new Map(createJobHandlers(untouchable()).map((h) => [h.kind, h]));
  const context = { signal: new AbortController().signal, owner: 'w' };

  it('registers every kind', () => {
    expect([...handlers.keys()].sort()).toEqual(['card_action', 'dispatch', 'end_session', 'flush', 'message', 'platform_event', 'resume']);
  });

  it.each([
    ['message', {}],
    ['message', { integrationId: 'i', event: { kind: 'card_action' } }],
    ['flush', { integrationId: 'i', sessionKey: 'k' }],
    ['dispatch', { integrationId: 'i', sessionKey: 'k', events: [] }],
    ['end_session', { integrationId: 'i', event: { kind: 'message' } }],
    ['resume', { integrationId: 'i', event: { kind: 'action', eventId: 'e', action: 'dingtalk:end', sessionKey: 'k', params: {} } }],
    ['resume', { integrationId: 'i', event: { kind: 'action', eventId: 'e', action: 'dingtalk:confirm', sessionKey: 'k', params: {} } }],
  ])('%s %j', async (kind, payload) => {
    await expect(handlers.get(kind)!.handle(job(kind, payload), context)).rejects.toBeInstanceOf(PermanentJobError);
  });

  it('platform events are acknowledged without touching anything', async () => {
    await expect(handlers.get('platform_event')!.handle(job('platform_event', { integrationId: 'i', event: { kind: 'platform_event', eventType: 'robot_msg_recall' } }), context)).resolves.toBeUndefined();
  });
});
