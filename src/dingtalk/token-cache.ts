/**
 * Access-token cache for one app. DingTalk throttles the token endpoint and re-requesting inside the
 * validity window just returns the same token, so we ask rarely:
 *  - the token is reused until its refresh point: 10 minutes before expiry (DingTalk's advice), or at
 *    half its life when the lifetime is too short for that margin;
 *  - single-flight: while a request is in progress every caller awaits that same request, so 100
 *    concurrent calls without a token cause exactly one token request;
 *  - `invalidate(token)` drops a token the server rejected, but only if it is still the cached one,
 *    so a late failure of an old token never throws away a freshly fetched one.
 * Refresh is lazy (on the next call after the refresh point) — no timers to leak.
 */

export interface AccessTokenGrant {
  accessToken: string;
  /** Lifetime in seconds, as DingTalk returns it (`expireIn`). */
  expireIn: number;
}

export interface AccessTokenCacheOptions {
  fetchToken: () => Promise<AccessTokenGrant>;
  now: () => number;
  /** Refresh this long before expiry. Default 10 minutes. */
  refreshMarginMs?: number;
}

interface CachedToken {
  value: string;
  refreshAt: number;
  expiresAt: number;
}

const DEFAULT_MARGIN_MS = 10 * 60 * 1000;

export class AccessTokenCache {
  private cached?: CachedToken;
  private inflight?: Promise<string>;
  private readonly marginMs: number;

  constructor(private readonly options: AccessTokenCacheOptions) {
    this.marginMs = options.refreshMarginMs ?? DEFAULT_MARGIN_MS;
  }

  /** A token that is valid now, fetching one if needed. */
  async get(): Promise<string> {
    const cached = this.cached;
    if (cached && this.options.now() < cached.refreshAt) return cached.value;
    return this.refresh();
  }

  /** Forget `token` (or whatever is cached when omitted) so the next `get()` fetches a new one. */
  invalidate(token?: string): void {
    if (!this.cached) return;
    if (token === undefined || this.cached.value === token) this.cached = undefined;
  }

  /** When the cached token will be refreshed (epoch ms), for diagnostics. */
  peek(): { refreshAt: number; expiresAt: number } | undefined {
    return this.cached ? { refreshAt: this.cached.refreshAt, expiresAt: this.cached.expiresAt } : undefined;
  }

  private refresh(): Promise<string> {
    if (this.inflight) return this.inflight;
    const pending = this.options
      .fetchToken()
      .then((grant) => {
        this.cached = this.toCached(grant);
        return grant.accessToken;
      })
      .finally(() => {
        if (this.inflight === pending) this.inflight = undefined;
      });
    this.inflight = pending;
    return pending;
  }

  private toCached(grant: AccessTokenGrant): CachedToken {
    const obtainedAt = this.options.now();
    const lifetimeMs = Math.max(0, Number(grant.expireIn) || 0) * 1000;
    const expiresAt = obtainedAt + lifetimeMs;
    // A short lifetime (tests, or an odd answer) cannot afford a 10-minute margin: use half-life.
    const refreshAt = lifetimeMs > 2 * this.marginMs ? expiresAt - this.marginMs : obtainedAt + lifetimeMs / 2;
    return { value: grant.accessToken, refreshAt, expiresAt };
  }
}
