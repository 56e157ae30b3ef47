import type { SimContext } from '../context';
import { newError, ok } from '../error-bodies';
import type { SimMessage } from '../types';
import { asObject, bad, checkList, checkMsgKey, checkMsgParam, checkRobotCode } from './validation';

/**
 * Proactive robot messages (fact sheet §4): 1:1 batchSend, group send, and both recalls.
 * Note DingTalk's casing: send is `oToMessages`, recall is `otoMessages`.
 */

const SCOPE = 'qyapi_robot_sendmsg';
const RECALL_WINDOW_MS = 24 * 60 * 60 * 1000; // 1:1 messages can be recalled within 24 h

export function registerRobotRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/v1.0/robot/oToMessages/batchSend',
    (req) => {
      const body = asObject(req.body);
      const robot = checkRobotCode(ctx.apps, req.app, body.robotCode);
      if (!robot.ok) return robot.error;
      const users = checkList(body.userIds, 'userIds');
      if (!users.ok) return users.error;
      const msgKey = checkMsgKey(body.msgKey);
      if (!msgKey.ok) return msgKey.error;
      const param = checkMsgParam(body.msgParam);
      if (!param.ok) return param.error;
      const processQueryKey = ctx.messages.newProcessQueryKey();
      const invalid: string[] = [];
      for (const userId of new Set(users.value)) {
        if (!ctx.directory.isKnownUser(userId)) {
          invalid.push(userId);
          continue;
        }
        ctx.messages.add({
          processQueryKey,
          kind: 'robot',
          clientId: req.app!.clientId,
          robotCode: robot.value,
          target: { type: 'user', id: userId },
          msgKey: msgKey.value,
          content: param.value,
        });
      }
      return ok({ processQueryKey, invalidStaffIdList: invalid, flowControlledStaffIdList: [] });
    },
    { family: 'new', scope: SCOPE },
  );

  ctx.route(
    'POST',
    '/v1.0/robot/groupMessages/send',
    (req) => {
      const body = asObject(req.body);
      const robot = checkRobotCode(ctx.apps, req.app, body.robotCode);
      if (!robot.ok) return robot.error;
      if (typeof body.openConversationId !== 'string' || body.openConversationId === '') {
        return newError(400, 'invalid.openConversationId', 'openConversationId无效');
      }
      const msgKey = checkMsgKey(body.msgKey);
      if (!msgKey.ok) return msgKey.error;
      const param = checkMsgParam(body.msgParam);
      if (!param.ok) return param.error;
      const processQueryKey = ctx.messages.newProcessQueryKey();
      ctx.messages.add({
        processQueryKey,
        kind: 'robot',
        clientId: req.app!.clientId,
        robotCode: robot.value,
        target: { type: 'group', id: body.openConversationId },
        msgKey: msgKey.value,
        content: param.value,
      });
      return ok({ processQueryKey });
    },
    { family: 'new', scope: SCOPE },
  );

  ctx.route(
    'POST',
    '/v1.0/robot/otoMessages/batchRecall',
    (req) => {
      const body = asObject(req.body);
      const robot = checkRobotCode(ctx.apps, req.app, body.robotCode);
      if (!robot.ok) return robot.error;
      const keys = checkList(body.processQueryKeys, 'processQueryKeys');
      if (!keys.ok) return keys.error;
      return ok(
        recall(ctx, keys.value, (records) => {
          if (records.length === 0 || records.some((m) => m.robotCode !== robot.value || m.target.type !== 'user')) return 'invalid.processQueryKey';
          if (ctx.clock.now() - records[0].sentAt > RECALL_WINDOW_MS) return 'robot.processQueryKey.expired';
          return undefined;
        }),
      );
    },
    { family: 'new', scope: SCOPE },
  );

  ctx.route(
    'POST',
    '/v1.0/robot/groupMessages/recall',
    (req) => {
      const body = asObject(req.body);
      const robot = checkRobotCode(ctx.apps, req.app, body.robotCode);
      if (!robot.ok) return robot.error;
      if (typeof body.openConversationId !== 'string' || body.openConversationId === '') {
        return bad('invalid.openConversationId', 'openConversationId无效').error;
      }
      const keys = checkList(body.processQueryKeys, 'processQueryKeys');
      if (!keys.ok) return keys.error;
      const group = body.openConversationId;
      return ok(
        recall(ctx, keys.value, (records) => {
          const mismatch = records.some((m) => m.robotCode !== robot.value || m.target.type !== 'group' || m.target.id !== group);
          return records.length === 0 || mismatch ? 'invalid.processQueryKey' : undefined;
        }),
      );
    },
    { family: 'new', scope: SCOPE },
  );
}

/** Applies a recall per key; `reject` names the failure reason, if any. Recalling twice is harmless. */
function recall(ctx: SimContext, keys: string[], reject: (records: SimMessage[]) => string | undefined) {
  const successResult: string[] = [];
  const failedResult: Record<string, string> = {};
  for (const key of new Set(keys)) {
    const records = ctx.messages.byProcessQueryKey(key);
    const reason = reject(records);
    if (reason) {
      failedResult[key] = reason;
      continue;
    }
    for (const record of records) if (record.status !== 'recalled') ctx.messages.change(record, 'recalled');
    successResult.push(key);
  }
  return { successResult, failedResult };
}
