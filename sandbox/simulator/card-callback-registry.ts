import { createHmac } from 'node:crypto';
import type { SimClock } from './clock';
import { ok } from './error-bodies';
import type { MessageStore } from './message-store';
import { asObject, bad } from './routes/validation';
import type { SimContext } from './context';
import type { StreamGateway } from './stream-gateway';

/**
 * HTTP-mode card callbacks as DingTalk routes them (fact sheet §5a, §5c): an app registers a
 * `callbackRouteKey` with its URL and optional `apiSecret` (`POST /v1.0/card/callbacks/register`);
 * a card created with `callbackType: "HTTP"` names that key, and a click is POSTed to the registered
 * URL, signed with the apiSecret (`x-ddpaas-signature = Base64(HmacSHA256(apiSecret, timestamp))`).
 * A click on a card whose key is not registered reaches nobody. Stream-mode cards call back on the
 * CALLBACK topic `/v1.0/card/instances/callback`.
 */
export interface CardRouteRegistration {
  clientId: string;
  callbackRouteKey: string;
  callbackUrl: string;
  apiSecret?: string;
}

export interface CardClickInput {
  outTrackId: string;
  userId: string;
  params: Record<string, unknown>;
  actionId?: string;
}

export type CardClickResult =
  | { delivered: false; reason: 'no_card' | 'no_callback' | 'route_unregistered' }
  | { delivered: true; via: 'http' | 'stream'; status?: number; body?: unknown };

export const CARD_CALLBACK_TOPIC = '/v1.0/card/instances/callback';

export class CardCallbackRegistry {
  private readonly routes = new Map<string, CardRouteRegistration>();

  constructor(
    private readonly deps: { clock: SimClock; messages: MessageStore; corpIdOf: (clientId: string) => string | undefined; gateway: () => StreamGateway },
  ) {}

  /** Mounts the register API on the simulator. */
  mount(ctx: SimContext): void {
    ctx.route(
      'POST',
      '/v1.0/card/callbacks/register',
      (req) => {
        const body = asObject(req.body);
        const key = body.callbackRouteKey;
        const url = body.callbackUrl;
        if (typeof key !== 'string' || key === '') return bad('invalidParameter.callbackRouteKey.empty', 'callbackRouteKey不能为空').error;
        if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return bad('invalidParameter.callbackUrl.invalid', 'callbackUrl格式错误').error;
        const apiSecret = typeof body.apiSecret === 'string' && body.apiSecret !== '' ? body.apiSecret : undefined;
        const clientId = req.app!.clientId;
        const existing = this.routes.get(this.id(clientId, key));
        // Docs are silent on re-registering a key; the harder case: only with forceUpdate (simulator's choice).
        if (existing && body.forceUpdate !== true && (existing.callbackUrl !== url || existing.apiSecret !== apiSecret)) {
          return bad('invalidParameter.callbackRouteKey.exists', 'callbackRouteKey已存在').error;
        }
        this.routes.set(this.id(clientId, key), { clientId, callbackRouteKey: key, callbackUrl: url, apiSecret });
        return ok({ success: true, result: { callbackUrl: url, ...(apiSecret ? { apiSecret } : {}) } });
      },
      { family: 'new', scope: 'Card.Instance.Write' },
    );
  }

  get(clientId: string, callbackRouteKey: string): CardRouteRegistration | undefined {
    const route = this.routes.get(this.id(clientId, callbackRouteKey));
    return route ? { ...route } : undefined;
  }

  list(): CardRouteRegistration[] {
    return [...this.routes.values()].map((route) => ({ ...route }));
  }

  /** A person presses a "回传请求" button of a card: DingTalk calls back the way the card was created for. */
  async click(input: CardClickInput): Promise<CardClickResult> {
    const card = this.deps.messages.byOutTrackId(input.outTrackId);
    if (!card) return { delivered: false, reason: 'no_card' };
    const content = asObject(card.content);
    const body = {
      type: 'actionCallback',
      outTrackId: input.outTrackId,
      corpId: this.deps.corpIdOf(card.clientId),
      userId: input.userId,
      content: JSON.stringify({ cardPrivateData: { actionIds: [input.actionId ?? 'action'], params: input.params } }),
    };
    if (content.callbackType === 'STREAM') {
      await this.deps.gateway().pushCallback(card.clientId, CARD_CALLBACK_TOPIC, body);
      return { delivered: true, via: 'stream' };
    }
    if (content.callbackType !== 'HTTP') return { delivered: false, reason: 'no_callback' };
    const route = typeof content.callbackRouteKey === 'string' ? this.get(card.clientId, content.callbackRouteKey) : undefined;
    if (!route) return { delivered: false, reason: 'route_unregistered' };
    const timestamp = String(this.deps.clock.now());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (route.apiSecret) {
      headers['x-ddpaas-signature-timestamp'] = timestamp;
      headers['x-ddpaas-signature'] = createHmac('sha256', route.apiSecret).update(timestamp, 'utf8').digest('base64');
    }
    const response = await fetch(route.callbackUrl, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { delivered: true, via: 'http', status: response.status, body: parsed };
  }

  private id(clientId: string, key: string): string {
    return `${clientId}\n${key}`;
  }
}
