import { randomBytes } from 'node:crypto';
import type { SimClock } from './clock';

/**
 * Access tokens as DingTalk issues them: valid `ttl` seconds (7200 by default); asking again inside
 * the validity window returns the same token and extends it; after expiry a new one is issued.
 */
export type TokenCheck = { ok: true; clientId: string } | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

interface Issued {
  token: string;
  clientId: string;
  expiresAt: number;
}

export class TokenStore {
  private ttlSeconds = 7200;
  private readonly byToken = new Map<string, Issued>();
  private readonly currentByClient = new Map<string, Issued>();

  constructor(private readonly clock: SimClock) {}

  setTtl(seconds: number): void {
    this.ttlSeconds = seconds;
  }

  issue(clientId: string): { accessToken: string; expireIn: number } {
    const now = this.clock.now();
    let issued = this.currentByClient.get(clientId);
    if (!issued || issued.expiresAt <= now) {
      issued = { token: randomBytes(16).toString('hex'), clientId, expiresAt: 0 };
      this.byToken.set(issued.token, issued);
      this.currentByClient.set(clientId, issued);
    }
    issued.expiresAt = now + this.ttlSeconds * 1000;
    return { accessToken: issued.token, expireIn: this.ttlSeconds };
  }

  check(token: string | undefined): TokenCheck {
    if (!token) return { ok: false, reason: 'missing' };
    const issued = this.byToken.get(token);
    if (!issued) return { ok: false, reason: 'unknown' };
    if (issued.expiresAt <= this.clock.now()) return { ok: false, reason: 'expired' };
    return { ok: true, clientId: issued.clientId };
  }

  /** Makes every issued token invalid at once (as if the secret was reset). */
  revokeAll(): void {
    this.byToken.clear();
    this.currentByClient.clear();
  }
}
