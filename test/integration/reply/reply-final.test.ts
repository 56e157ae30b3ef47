import { answer, deltas, openReplyWorld, textOf, type ReplyWorld } from './reply-harness';

// How a turn closes in markdown mode, on both routes: the End-conversation link after an answer,
// Confirm / Reject links for an interrupted run, a localized apology for a failed one.

let world: ReplyWorld;

beforeAll(async () => {
  world = await openReplyWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(async () => {
  await world.reset();
});

const LINKS = { confirmUrl: 'https://xpert.example.com/a?d=confirm', rejectUrl: 'https://xpert.example.com/a?d=reject', endUrl: 'https://xpert.example.com/a?d=end' };

it('normal end: one message, the answer with the End conversation link in it', async () => {
  const target = world.target('group', { sessionWebhookExpiresAt: 0 }); // OpenAPI
  await answer(world.service(), target, 'fin-1', deltas('All done.'), {}, { endUrl: LINKS.endUrl });
  const [reply] = world.sim.messages();
  expect(reply).toMatchObject({ kind: 'robot', msgKey: 'sampleMarkdown' });
  expect(textOf(reply)).toBe(`All done.\n\n---\nReply here to ask a follow-up, or end the conversation. [End conversation](${LINKS.endUrl})`);
  expect(world.sim.messages()).toHaveLength(1);
});

it('normal end without an end link: just the answer', async () => {
  await answer(world.service(), world.target('private'), 'fin-2', deltas('Only this.'));
  expect(world.sim.messages().map(textOf)).toEqual(['Only this.']);
});

it('interrupt via the webhook: the prompt with Confirm / Reject buttons, after the text so far', async () => {
  const target = world.target('private');
  await answer(world.service(), target, 'fin-3', deltas('I am about to delete the file.'), {
    status: 'interrupted',
    interrupt: { operation: { id: 'op-1' }, prompt: 'delete_file {"path":"/tmp/a"}' },
  }, LINKS);
  const [reply, prompt] = world.sim.messages();
  expect(textOf(reply)).toBe('I am about to delete the file.');
  expect(prompt.content).toMatchObject({
    msgtype: 'actionCard',
    actionCard: {
      title: 'The expert needs your confirmation to continue:',
      text: 'The expert needs your confirmation to continue:\n\ndelete_file {"path":"/tmp/a"}',
      btnOrientation: '1',
      btns: [
        { title: 'Confirm', actionURL: LINKS.confirmUrl },
        { title: 'Reject', actionURL: LINKS.rejectUrl },
      ],
    },
  });
  expect(world.sim.messages()).toHaveLength(2); // no End link on an interrupted turn
});

it('interrupt via the OpenAPI (zh-Hans): side-by-side Confirm / Reject buttons', async () => {
  const target = world.target('group', { sessionWebhookExpiresAt: 0, language: 'zh-Hans' });
  await answer(world.service(), target, 'fin-4', [], { status: 'interrupted', interrupt: { operation: {}, prompt: 'send_email' } }, LINKS);
  const [prompt] = world.sim.messages();
  expect(prompt.msgKey).toBe('sampleActionCard6');
  expect(prompt.content).toMatchObject({
    text: '专家需要你的确认才能继续：\n\nsend_email',
    buttonTitle1: '确认',
    buttonUrl1: LINKS.confirmUrl,
    buttonTitle2: '拒绝',
    buttonUrl2: LINKS.rejectUrl,
  });
});

it('error: the partial text, then a short localized apology (not silence)', async () => {
  const target = world.target('private', { language: 'zh-Hans' });
  await answer(world.service(), target, 'fin-5', deltas('部分'), { status: 'error', error: 'socket hang up', errorCode: 'dingtalk_expert_idle_timeout' }, LINKS);
  expect(world.sim.messages().map(textOf)).toEqual(['部分', '抱歉，专家这次没能回答，请稍后再试。']);
});

it('finishing a retried turn again posts no closing message twice', async () => {
  const target = world.target('private');
  const service = world.service();
  for (let i = 0; i < 2; i++) {
    await answer(service, target, 'fin-6', deltas('Answer.'), { status: 'error' });
    await answer(service, target, 'fin-7', [], { status: 'interrupted', interrupt: { operation: {}, prompt: 'x' } }, LINKS);
    await answer(service, target, 'fin-8', deltas('Answer.'), {}, LINKS);
  }
  // error: answer + apology; interrupt: the prompt; done: one message with the link.
  expect(world.sim.messages()).toHaveLength(4);
});
