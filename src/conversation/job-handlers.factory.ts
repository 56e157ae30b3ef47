import type { JobHandler } from '../handoff/job-handler.port';
import { CardActionJobHandler } from './card-action.handler';
import type { ConversationDeps } from './conversation.deps';
import { DispatchJobHandler } from './dispatch.handler';
import { EndSessionJobHandler } from './end-session.handler';
import { FlushJobHandler } from './flush.handler';
import { MessageJobHandler } from './message.handler';
import { PlatformEventJobHandler } from './platform-event.handler';
import { ResumeJobHandler } from './resume.handler';

/**
 * Every job kind the conversation engine handles: message, flush, dispatch, end_session, resume,
 * card_action, platform_event. Plain objects over the given ports, so tests (and a second engine
 * instance on the same database, e.g. a "restart") build them without Nest.
 */
export function createJobHandlers(deps: ConversationDeps): JobHandler[] {
  return [
    new MessageJobHandler(deps),
    new FlushJobHandler(deps),
    new DispatchJobHandler(deps),
    new EndSessionJobHandler(deps),
    new ResumeJobHandler(deps),
    new CardActionJobHandler(deps),
    new PlatformEventJobHandler(deps.logger),
  ];
}
