import type { SimContext } from '../context';
import { newError, ok, oldError, oldOk } from '../error-bodies';

/**
 * Token endpoints (fact sheet §1): new `POST /v1.0/oauth2/accessToken` and old `GET /gettoken`.
 * They are excluded from path-less faults (inject with an explicit `path` to hit them).
 */
export function registerAuthRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/v1.0/oauth2/accessToken',
    (req) => {
      const body = (req.body ?? {}) as { appKey?: unknown; appSecret?: unknown };
      const app = ctx.apps.validate(body.appKey, body.appSecret);
      if (!app) return newError(400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
      req.app = app;
      return ok(ctx.tokens.issue(app.clientId));
    },
    { faults: false },
  );

  ctx.route(
    'GET',
    '/gettoken',
    (req) => {
      const app = ctx.apps.validate(req.query.appkey, req.query.appsecret);
      if (!app) return oldError(40089, '不合法的appkey或appsecret');
      req.app = app;
      const grant = ctx.tokens.issue(app.clientId);
      return oldOk({ access_token: grant.accessToken, expires_in: grant.expireIn });
    },
    { faults: false, errorStyle: 'old' },
  );
}
