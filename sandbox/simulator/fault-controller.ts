import type { SimClock } from './clock';
import type { PathMatcher } from './types';

/**
 * Injected failures. Faults without a `path` hit every API route except the token endpoints and the
 * simulator's own `/_simulator` routes; faults with a `path` (exact string or RegExp) hit only that.
 *  - throttle:      the next `times` matching calls are throttled (`new` = 403 QpsLimitForAppkeyAndApi,
 *                   `old` = errcode 90018; default = the route's own family);
 *  - serverError:   the next `times` matching calls answer 5xx;
 *  - latencyMs:     every matching call is answered that much later (`latencyPath` narrows it);
 *  - missingScope:  calls to `path` are refused for lack of `scope`, in the family's error shape;
 *  - rateLimitPerSecond: a real limit per app per API path over a rolling second, answering like DingTalk
 *                   (https://open.dingtalk.com/document/development/invocation-frequency-limit: 20 calls/s
 *                   per app per API for standard orgs; new family HTTP 403
 *                   `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`, old family errcode 90018, per
 *                   https://open.dingtalk.com/document/development/server-api-error-codes-1). It is counted
 *                   per app, not per connection: every process calling with the app's token shares it;
 *  - sessionWebhookPerSecond: a limit per app on the session webhook over a rolling second. DingTalk
 *                   documents none for it (the "20 per minute" rule is for custom group robots), so it
 *                   is off by default and separate from `rateLimitPerSecond`; refusals answer errcode
 *                   90018 in HTTP 200 (the simulator's choice of code);
 *  - lateAnswer:    the next `times` (default 1) matching calls take effect at once, but their answer
 *                   leaves `ms` later — past a client's timeout, the client sees a failure for a call
 *                   that did happen (e.g. a card that was created).
 */
export interface FaultSpec {
  throttle?: { path?: PathMatcher; times: number; style?: 'new' | 'old' };
  serverError?: { path?: PathMatcher; times: number; status?: number };
  latencyMs?: number;
  latencyPath?: PathMatcher;
  missingScope?: { path: PathMatcher; scope: string };
  rateLimitPerSecond?: number;
  sessionWebhookPerSecond?: number;
  lateAnswer?: { path: PathMatcher; ms: number; times?: number };
}

function matches(matcher: PathMatcher | undefined, path: string, defaultTarget: boolean): boolean {
  if (matcher === undefined) return defaultTarget;
  return typeof matcher === 'string' ? matcher === path : matcher.test(path);
}

export class FaultController {
  private spec: FaultSpec = {};
  private throttleLeft = 0;
  private serverErrorLeft = 0;
  private lateLeft = 0;
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly clock: SimClock) {}

  /** Replaces the active faults (counters restart). */
  set(spec: FaultSpec): void {
    this.spec = { ...spec };
    this.throttleLeft = spec.throttle?.times ?? 0;
    this.serverErrorLeft = spec.serverError?.times ?? 0;
    this.lateLeft = spec.lateAnswer ? (spec.lateAnswer.times ?? 1) : 0;
    this.windows.clear();
  }

  clear(): void {
    this.set({});
  }

  current(): FaultSpec {
    return { ...this.spec };
  }

  latencyFor(path: string, defaultTarget: boolean): number {
    const ms = this.spec.latencyMs ?? 0;
    return ms > 0 && matches(this.spec.latencyPath, path, defaultTarget) ? ms : 0;
  }

  /** Consumes one injected throttle for `path`; returns its style, or undefined. */
  takeThrottle(path: string, defaultTarget: boolean): { style?: 'new' | 'old' } | undefined {
    const t = this.spec.throttle;
    if (!t || this.throttleLeft <= 0 || !matches(t.path, path, defaultTarget)) return undefined;
    this.throttleLeft--;
    return { style: t.style };
  }

  takeServerError(path: string, defaultTarget: boolean): { status: number } | undefined {
    const s = this.spec.serverError;
    if (!s || this.serverErrorLeft <= 0 || !matches(s.path, path, defaultTarget)) return undefined;
    this.serverErrorLeft--;
    return { status: s.status ?? 500 };
  }

  missingScopeFor(path: string): string | undefined {
    const m = this.spec.missingScope;
    return m && matches(m.path, path, false) ? m.scope : undefined;
  }

  /** Consumes one late answer for `path`: how long its answer is held back, or 0. */
  takeLateAnswer(path: string): number {
    const late = this.spec.lateAnswer;
    if (!late || this.lateLeft <= 0 || !matches(late.path, path, false)) return 0;
    this.lateLeft--;
    return late.ms;
  }

  /** Counts the call against the per-app-per-API limit; false = over the limit (not counted). */
  admit(clientId: string, path: string): boolean {
    return this.count(this.spec.rateLimitPerSecond ?? 0, `${clientId} ${path}`);
  }

  /** Counts a session webhook send of the app against `sessionWebhookPerSecond`. */
  admitSessionWebhook(clientId: string): boolean {
    return this.count(this.spec.sessionWebhookPerSecond ?? 0, `${clientId} session-webhook`);
  }

  private count(limit: number, key: string): boolean {
    if (limit <= 0) return true;
    const now = this.clock.now();
    const recent = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
    if (recent.length >= limit) {
      this.windows.set(key, recent);
      return false;
    }
    recent.push(now);
    this.windows.set(key, recent);
    return true;
  }
}
