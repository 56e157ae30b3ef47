import type { SimContext } from '../context';
import { ok } from '../error-bodies';
import type { SimMessage } from '../types';
import { asObject, bad, checkCardParamMap, checkRobotCode } from './validation';

/**
 * Interactive cards (fact sheet §5a): createAndDeliver, update (PUT /v1.0/card/instances) and
 * AI-card streaming (PUT /v1.0/card/streaming). A card is one message record keyed by outTrackId;
 * its `content` is `{cardTemplateId, cardParamMap, privateData, callbackType, callbackRouteKey, stream}`.
 *
 * Error codes are the documented ones where a doc names one:
 *  - createAndDeliver, error table of https://open.dingtalk.com/document/development/create-and-deliver-cards:
 *    `param.cardAlreadyExist` (an outTrackId that exists), `param.openSpaceModelInvalid` (open space
 *    model missing or malformed — the doc marks it optional, but every official sample sends one, so
 *    the simulator takes the harder case and requires it), `param.invalid`;
 *  - streaming, error table of https://open.dingtalk.com/document/development/api-streamingupdate:
 *    `param.stream.keyEmpty`, `param.stream.contentEmpty`, `param.stream.guidEmpty`,
 *    `param.stream.outTrackId` (card not found).
 * Codes no doc names (template id, outTrackId length, card not found on update) are the simulator's choice.
 */

interface CardContent {
  cardTemplateId: string;
  cardParamMap: Record<string, string>;
  privateData?: Record<string, unknown>;
  callbackType?: string;
  callbackRouteKey?: string;
  /** Streaming state of AI cards. */
  stream?: { key: string; finalized: boolean; error: boolean; guids: string[] };
  /** People the group deliver model @-mentions (`imGroupOpenDeliverModel.atUserIds`: userId → nick). */
  atUserIds?: string[];
}

const SPACE_PATTERN = /^(IM_GROUP|IM_ROBOT|IM_SINGLE|ONE_BOX)\.(.+)$/;

function parseSpaces(openSpaceId: unknown): Array<{ spaceType: string; spaceId: string }> | undefined {
  if (typeof openSpaceId !== 'string' || !openSpaceId.startsWith('dtv1.card//')) return undefined;
  const parts = openSpaceId.slice('dtv1.card//'.length).split(';').filter(Boolean);
  const spaces = parts.map((p) => SPACE_PATTERN.exec(p)).map((m) => (m ? { spaceType: m[1], spaceId: m[2] } : undefined));
  return spaces.length > 0 && spaces.every(Boolean) ? (spaces as Array<{ spaceType: string; spaceId: string }>) : undefined;
}

export function registerCardRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/v1.0/card/instances/createAndDeliver',
    (req) => {
      const body = asObject(req.body);
      if (typeof body.cardTemplateId !== 'string' || body.cardTemplateId === '') return bad('invalidParameter.cardTemplateId.empty', 'cardTemplateId不能为空').error;
      const outTrackId = body.outTrackId;
      if (typeof outTrackId !== 'string' || outTrackId === '') return bad('invalidParameter.outTrackId.empty', 'outTrackId不能为空').error;
      if (outTrackId.length > 100) return bad('invalidParameter.outTrackId.tooLong', 'outTrackId长度不能超过100').error;
      // Create-and-deliver document, error table: a second create with the same outTrackId is
      // answered HTTP 400 `param.cardAlreadyExist` (the card stays as it is).
      if (ctx.messages.byOutTrackId(outTrackId)) return bad('param.cardAlreadyExist', '卡片已存在').error;
      const params = checkCardParamMap(body.cardData);
      if (!params.ok) return params.error;
      const spaces = parseSpaces(body.openSpaceId);
      if (!spaces) return bad('invalidParameter.openSpaceId.invalid', 'openSpaceId格式错误').error;
      let robotCode: string | undefined;
      let atUserIds: string[] | undefined;
      for (const space of spaces) {
        const model = space.spaceType === 'IM_GROUP' ? 'imGroupOpenDeliverModel' : space.spaceType === 'IM_ROBOT' ? 'imRobotOpenDeliverModel' : undefined;
        if (!model) continue;
        const deliver = body[model];
        if (!deliver || typeof deliver !== 'object') return bad(`invalidParameter.${model}.empty`, `${model}不能为空`).error;
        // Every official sample sends the space's open space model and the error table lists
        // `param.openSpaceModelInvalid`: treated as required (the harder case).
        const spaceModel = body[space.spaceType === 'IM_GROUP' ? 'imGroupOpenSpaceModel' : 'imRobotOpenSpaceModel'];
        // The doc: `supportForward` is required whenever the space model object is used.
        if (!spaceModel || typeof spaceModel !== 'object' || typeof asObject(spaceModel).supportForward !== 'boolean') {
          return bad('param.openSpaceModelInvalid', '错误的场域属性模型').error;
        }
        const code = asObject(deliver).robotCode;
        const mentioned = asObject(deliver).atUserIds;
        if (model === 'imGroupOpenDeliverModel' && mentioned !== undefined) {
          // Documented as Map<userId, nick>; anything else is rejected like a bad parameter.
          if (typeof mentioned !== 'object' || mentioned === null || Array.isArray(mentioned)) return bad('invalidParameter.atUserIds.invalid', 'atUserIds格式错误').error;
          atUserIds = Object.keys(mentioned);
        }
        if (code !== undefined || model === 'imGroupOpenDeliverModel') {
          const checked = checkRobotCode(ctx.apps, req.app, code);
          if (!checked.ok) return checked.error;
          robotCode = checked.value;
        }
      }
      const content: CardContent = {
        cardTemplateId: body.cardTemplateId,
        cardParamMap: params.value ?? {},
        ...(body.privateData ? { privateData: asObject(body.privateData) } : {}),
        ...(typeof body.callbackType === 'string' ? { callbackType: body.callbackType } : {}),
        ...(typeof body.callbackRouteKey === 'string' ? { callbackRouteKey: body.callbackRouteKey } : {}),
        ...(atUserIds?.length ? { atUserIds } : {}),
      };
      const deliverResults = spaces.map((space, index) => {
        const carrierId = ctx.messages.newProcessQueryKey();
        if (index === 0) {
          ctx.messages.add({
            outTrackId,
            processQueryKey: carrierId,
            kind: 'card',
            clientId: req.app!.clientId,
            robotCode: robotCode ?? req.app!.robotCode,
            target: { type: space.spaceType === 'IM_GROUP' ? 'group' : 'user', id: space.spaceId },
            msgKey: body.cardTemplateId as string,
            content,
          });
        }
        return { spaceType: space.spaceType, spaceId: space.spaceId, success: true, carrierId };
      });
      return ok({ success: true, result: { outTrackId, deliverResults } });
    },
    { family: 'new', scope: 'Card.Instance.Write' },
  );

  ctx.route(
    'PUT',
    '/v1.0/card/instances',
    (req) => {
      const body = asObject(req.body);
      const card = findCard(ctx, body.outTrackId);
      if (!card) return bad('resource.not.found', '卡片实例不存在').error;
      const params = checkCardParamMap(body.cardData);
      if (!params.ok) return params.error;
      const current = card.content as CardContent;
      const byKey = asObject(body.cardUpdateOptions).updateCardDataByKey === true;
      const next: CardContent = {
        ...current,
        cardParamMap: params.value === undefined ? current.cardParamMap : byKey ? { ...current.cardParamMap, ...params.value } : params.value,
        ...(body.privateData ? { privateData: { ...(current.privateData ?? {}), ...asObject(body.privateData) } } : {}),
      };
      ctx.messages.change(card, 'updated', next);
      return ok({ success: true, result: true });
    },
    { family: 'new', scope: 'Card.Instance.Write' },
  );

  ctx.route(
    'PUT',
    '/v1.0/card/streaming',
    (req) => {
      const body = asObject(req.body);
      const card = findCard(ctx, body.outTrackId);
      if (!card) return bad('param.stream.outTrackId', 'card is not exist').error;
      if (typeof body.guid !== 'string' || body.guid === '') return bad('param.stream.guidEmpty', 'param.stream.guidEmpty').error;
      if (typeof body.key !== 'string' || body.key === '') return bad('param.stream.keyEmpty', 'param.stream.keyEmpty').error;
      if (typeof body.content !== 'string' || body.content === '') return bad('param.stream.contentEmpty', 'param.stream.contentEmpty').error;
      const current = card.content as CardContent;
      // guid is DingTalk's idempotency key: a repeated chunk changes nothing.
      if (current.stream?.guids.includes(body.guid)) return ok({ success: true, result: true });
      const previous = current.cardParamMap[body.key] ?? '';
      const next: CardContent = {
        ...current,
        cardParamMap: { ...current.cardParamMap, [body.key]: body.isFull === true ? body.content : previous + body.content },
        stream: {
          key: body.key,
          finalized: body.isFinalize === true,
          error: body.isError === true,
          guids: [...(current.stream?.guids ?? []), body.guid],
        },
      };
      ctx.messages.change(card, 'streamed', next);
      return ok({ success: true, result: true });
    },
    { family: 'new', scope: 'Card.Streaming.Write' },
  );
}

function findCard(ctx: SimContext, outTrackId: unknown): SimMessage | undefined {
  return typeof outTrackId === 'string' && outTrackId !== '' ? ctx.messages.byOutTrackId(outTrackId) : undefined;
}
