import type { SimContext } from '../context';
import { oldError, oldOk, throttled } from '../error-bodies';
import { asObject } from './validation';

/**
 * `POST /robot/sendBySession?session=…` — the sessionWebhook of an inbound message (fact sheet §3c).
 * No token needed. Replies are recorded against the conversation the session came from.
 * Unknown/expired sessions answer errcode 300001 with `sub_code` `session.notExisted`/`session.expired`
 * (the code names are DingTalk's; the numeric errcode is the simulator's choice).
 */

const WEBHOOK_TYPES = new Set(['text', 'markdown', 'actionCard', 'link', 'feedCard', 'empty']);

export function registerSessionRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/robot/sendBySession',
    (req) => {
      const session = ctx.sessions.get(req.query.session ?? '');
      if (!session) return oldError(300001, 'session.notExisted: 会话不存在', { sub_code: 'session.notExisted' });
      if (session.expiresAt <= ctx.clock.now()) return oldError(300001, 'session.expired: 会话已过期', { sub_code: 'session.expired' });
      // Its own budget, never the OpenAPI one (see FaultSpec.sessionWebhookPerSecond).
      if (!ctx.faults.admitSessionWebhook(session.clientId)) return throttled('old');
      const body = asObject(req.body);
      const msgtype = body.msgtype;
      if (typeof msgtype !== 'string' || !WEBHOOK_TYPES.has(msgtype)) return oldError(40035, '不合法的参数: msgtype');
      if (msgtype !== 'empty' && !body[msgtype]) return oldError(40035, `不合法的参数: ${msgtype}`);
      if (msgtype !== 'empty') {
        ctx.messages.add({
          kind: 'webhook',
          clientId: session.clientId,
          robotCode: session.robotCode,
          target: session.conversationType === '2' ? { type: 'group', id: session.conversationId } : { type: 'user', id: session.senderStaffId },
          msgKey: msgtype,
          content: structuredClone(body),
        });
      }
      return oldOk();
    },
    { errorStyle: 'old' },
  );
}
