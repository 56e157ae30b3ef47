import { randomUUID } from 'node:crypto';
import { signCardCallback } from '../../../src/dingtalk/crypto';
import { actionLinkSecret, buildActionLink } from '../../../src/kernel/action-link';
import type { Cluster } from './cluster';
import { RELIABILITY_HTTP } from './integrations';

/**
 * Forged card callbacks and action links, as someone who has seen real ones would make them: every
 * case starts from a genuine one (a card callback signed with the route's apiSecret carrying a
 * signed End link; a signed End / Confirm / Reject link) and breaks what makes it genuine — the
 * signature or its timestamp, a signed field, the integration, the method. None may be accepted,
 * none may write a row, none may be a 5xx. Built only from the seeded random source (replayable).
 */
export interface ForgeryFigures {
  sent: number;
  cards: number;
  links: number;
  accepted: number;
  http5xx: number;
  noResponse: number;
  byCategory: Record<string, Record<string, number>>;
}

const OPTIONS = RELIABILITY_HTTP.options;
const HOUR_MS = 3_600_000;

interface ForgedRequest {
  category: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export async function runForgeryFuzzer(options: { cluster: Cluster; random: () => number; cards: number; links: number; concurrency: number }): Promise<ForgeryFigures> {
  const figures: ForgeryFigures = { sent: 0, cards: 0, links: 0, accepted: 0, http5xx: 0, noResponse: 0, byCategory: {} };
  const cases: Array<() => ForgedRequest> = [
    ...Array.from({ length: options.cards }, () => () => forgedCard(options.random, Date.now())),
    ...Array.from({ length: options.links }, () => () => forgedLink(options.random, Date.now())),
  ];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const forged = cases[next++]();
      const live = options.cluster.live();
      const replica = live[Math.floor(options.random() * live.length)];
      let status: string;
      try {
        const response = await fetch(`${replica.url}${forged.path}`, { method: forged.method, headers: forged.headers, body: forged.body });
        await response.arrayBuffer();
        status = String(response.status);
      } catch {
        status = 'no-response';
      }
      figures.sent += 1;
      if (forged.category.startsWith('card')) figures.cards += 1;
      else figures.links += 1;
      const tally = (figures.byCategory[forged.category] ??= {});
      tally[status] = (tally[status] ?? 0) + 1;
      if (status === 'no-response') figures.noResponse += 1;
      else if (status.startsWith('2')) figures.accepted += 1;
      else if (status.startsWith('5')) figures.http5xx += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return figures;
}

export function formatForgery(f: ForgeryFigures, rowsBefore: Record<string, number>, rowsAfter: Record<string, number>): string {
  const written = Object.keys(rowsAfter).reduce((sum, key) => sum + (rowsAfter[key] - (rowsBefore[key] ?? 0)), 0);
  return [
    `scenario=forgery sent=${f.sent} lost=0 duplicate_answers=0 duplicate_runs=0 http_5xx=${f.http5xx} forged_cards=${f.cards} forged_links=${f.links} accepted_forged=${f.accepted} rows_written=${written} no_response=${f.noResponse}`,
    ...Object.entries(f.byCategory)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, statuses]) => `    ${category.padEnd(28)} ${Object.entries(statuses).map(([s, n]) => `${s}×${n}`).join(' ')}`),
  ].join('\n');
}

function genuineLink(random: () => number, now: number, action = 'dingtalk:end'): string {
  const conversation = `cidForged${Math.floor(random() * 1e6)}`;
  return buildActionLink(
    'http://x',
    {
      integrationId: RELIABILITY_HTTP.id,
      sessionKey: `${RELIABILITY_HTTP.id}:${conversation}:victim`,
      threadId: randomUUID(),
      action,
      expiresAt: now + HOUR_MS,
      ...(action === 'dingtalk:end' ? {} : { params: { interrupt: `msg-${Math.floor(random() * 1e6)}` } }),
    },
    actionLinkSecret(OPTIONS.clientSecret),
  );
}

function flip(text: string, random: () => number): string {
  if (!text) return 'x';
  const i = Math.floor(random() * text.length);
  const c = text.charCodeAt(i);
  const replacement = String.fromCharCode(c === 0x41 ? 0x42 : 0x41);
  return `${text.slice(0, i)}${replacement}${text.slice(i + 1)}`;
}

function forgedCard(random: () => number, now: number): ForgedRequest {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const body = JSON.stringify({
    type: 'actionCallback',
    outTrackId: `card-${Math.floor(random() * 1e9)}`,
    corpId: 'dingsimcorp0001',
    userId: pick(['victim', 'mallory', '']),
    content: JSON.stringify({ cardPrivateData: { actionIds: ['end'], params: { actionUrl: genuineLink(random, now) } } }),
  });
  const ts = String(now);
  const good = signCardCallback(ts, OPTIONS.cardCallbackSecret);
  const variants: Array<[string, Record<string, string>]> = [
    ['card-unsigned', {}],
    ['card-wrong-secret', { 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': signCardCallback(ts, `${OPTIONS.cardCallbackSecret}x`) }],
    ['card-flipped-signature', { 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': flip(good, random) }],
    ['card-stale', { 'x-ddpaas-signature-timestamp': String(now - 2 * HOUR_MS), 'x-ddpaas-signature': signCardCallback(String(now - 2 * HOUR_MS), OPTIONS.cardCallbackSecret) }],
    ['card-future', { 'x-ddpaas-signature-timestamp': String(now + 2 * HOUR_MS), 'x-ddpaas-signature': signCardCallback(String(now + 2 * HOUR_MS), OPTIONS.cardCallbackSecret) }],
    ['card-other-timestamp', { 'x-ddpaas-signature-timestamp': String(now + 1 + Math.floor(random() * 1000)), 'x-ddpaas-signature': good }],
    ['card-signature-only', { 'x-ddpaas-signature': good }],
    ['card-timestamp-only', { 'x-ddpaas-signature-timestamp': ts }],
    ['card-garbage-timestamp', { 'x-ddpaas-signature-timestamp': pick(['', 'abc', '-1', '1e99', `${ts}.5`]), 'x-ddpaas-signature': good }],
  ];
  const [category, headers] = pick(variants);
  return { category, method: 'POST', path: `/api/dingtalk/webhook/${RELIABILITY_HTTP.id}`, headers: { 'content-type': 'application/json', ...headers }, body };
}

function forgedLink(random: () => number, now: number): ForgedRequest {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const url = new URL(genuineLink(random, now, pick(['dingtalk:end', 'dingtalk:confirm', 'dingtalk:reject'])));
  const query = url.searchParams;
  const field = pick(['sig', 's', 'i', 'action', 'e', 'n', 't', 'p_interrupt', 'drop', 'extra', 'duplicate', 'expired', 'other-integration'] as const);
  switch (field) {
    case 'drop':
      query.delete(pick(['sig', 'n', 't', 'e', 's', 'i']));
      break;
    case 'extra':
      query.set(`p_${pick(['group', 'interrupt', 'x'])}`, pick(['0', '1', 'x']));
      break;
    case 'duplicate':
      query.append(pick(['s', 'action', 'i']), pick(['x', 'dingtalk:end', RELIABILITY_HTTP.id]));
      break;
    case 'expired':
      query.set('e', String(now - 1000));
      break;
    case 'other-integration':
      query.set('i', randomUUID());
      break;
    default:
      query.set(field, flip(query.get(field) ?? '', random));
  }
  return { category: `link-${field}`, method: pick(['GET', 'POST'] as const), path: `/api/dingtalk/action?${query.toString()}`, headers: {} };
}
