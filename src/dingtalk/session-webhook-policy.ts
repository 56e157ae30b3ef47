/**
 * P19: a sessionWebhook arrives inside an inbound payload, so it is attacker-controlled until
 * proven otherwise. We only post to it when its origin (scheme + host + port) is exactly one of the
 * configured DingTalk hosts. Credentials in the URL (`https://oapi.dingtalk.com@evil.com/…` — the
 * host there is evil.com) and anything that does not parse are rejected.
 */

export interface DingTalkHosts {
  oapiBaseUrl?: string;
  apiBaseUrl?: string;
}

const DEFAULT_HOSTS: Required<DingTalkHosts> = { oapiBaseUrl: 'https://oapi.dingtalk.com', apiBaseUrl: 'https://api.dingtalk.com' };

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** True when `url` may be called as a sessionWebhook. Pure; `URL.origin` normalises default ports and case. */
export function isAllowedSessionWebhook(url: unknown, hosts: DingTalkHosts = DEFAULT_HOSTS): boolean {
  if (typeof url !== 'string' || url.length === 0 || url.length > 4096) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== '' || parsed.password !== '') return false;
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  const allowed = [originOf(hosts.oapiBaseUrl ?? DEFAULT_HOSTS.oapiBaseUrl), originOf(hosts.apiBaseUrl ?? DEFAULT_HOSTS.apiBaseUrl)];
  return allowed.includes(parsed.origin);
}
