import type { AppRegistry } from './app-registry';
import { badToken, missingScope, serverError, throttled } from './error-bodies';
import type { FaultController } from './fault-controller';
import type { RouteGuard } from './http-router';
import type { TokenStore } from './token-store';

/**
 * What DingTalk's gateway does before an API runs, in order: (injected latency) → injected
 * throttling / 5xx → access-token check → per-app-per-API rate limit → permission scope.
 * Returns the refusal, or undefined to let the handler run (with `req.app` set).
 */
export function createRequestGuard(deps: {
  faults: FaultController;
  tokens: TokenStore;
  apps: AppRegistry;
  /** Waits `ms`; resolves false when the simulator closed meanwhile. */
  wait: (ms: number) => Promise<boolean>;
}): RouteGuard {
  return async (route, req) => {
    const family = route.options.family ?? 'none';
    const style = route.options.errorStyle ?? (family === 'old' ? 'old' : 'new');
    const faultTarget = route.options.faults ?? route.options.record !== false;
    const latency = deps.faults.latencyFor(req.path, faultTarget);
    if (latency > 0 && !(await deps.wait(latency))) return { status: 503, body: { code: 'simulator.closed', message: 'simulator closed' } };
    const throttle = deps.faults.takeThrottle(req.path, faultTarget);
    if (throttle) return throttled(throttle.style ?? style);
    const failure = deps.faults.takeServerError(req.path, faultTarget);
    if (failure) return serverError(style, failure.status);
    if (family === 'none') return undefined;

    const token = family === 'new' ? headerValue(req.headers['x-acs-dingtalk-access-token']) : req.query.access_token;
    const check = deps.tokens.check(token);
    if (!check.ok) return badToken(family, check.reason);
    const app = deps.apps.get(check.clientId);
    if (!app) return badToken(family, 'unknown');
    req.app = app;
    if (faultTarget && !deps.faults.admit(app.clientId, req.path)) return throttled(family);
    const scope = route.options.scope;
    const missing = deps.faults.missingScopeFor(req.path) ?? (scope && app.scopes && !app.scopes.includes(scope) ? scope : undefined);
    if (missing) return missingScope(family, missing, app.clientId);
    return undefined;
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
