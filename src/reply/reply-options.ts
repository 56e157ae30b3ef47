import { PROCESS_REPLICA_ID } from '../delivery/replica-id';
import { WEBHOOK_EXPIRY_MARGIN_MS } from '../delivery/route.policy';
import type { DingTalkClient } from '../dingtalk/client';
import { MARKDOWN_CHUNK_MAX_BYTES } from '../dingtalk/outbound';
import type { Queryable } from '../persistence/database';
import type { LoggerPort } from '../kernel/logger';

/** Nest's Logger and console both fit; nothing here ever receives message text (P17). */
/** The plugin's one logger port. */
export type ReplyLogger = LoggerPort;

export type CardCallbackType = 'STREAM' | 'HTTP';

export interface ReplyServiceOptions {
  /** The plugin database (outbox rows make every send idempotent, P15). */
  db: Queryable;
  /** The DingTalk client of an integration (one app per integration). */
  client: (integrationId: string) => DingTalkClient | Promise<DingTalkClient>;
  /** Configured DingTalk hosts: a sessionWebhook elsewhere is never called (P19). */
  hosts: { apiBaseUrl: string; oapiBaseUrl: string };
  /** Epoch ms; webhook expiry and card update throttling read it. Default Date.now. */
  now?: () => number;
  /** Waits before a card update at a tool boundary and between finalize attempts. */
  sleep?: (ms: number) => Promise<void>;
  /** AI-card template of the integration; undefined = answers go out as markdown messages. */
  cardTemplateId?: (integrationId: string) => string | undefined;
  /** Minimum time between two streaming card updates. Default 800 ms. */
  streamIntervalMs?: number;
  logger?: ReplyLogger;

  // Optional tuning (additions to the brief; defaults are what production wants).
  /** Upper bound the update interval may degrade to after throttling. Default 10 000 ms. */
  maxStreamIntervalMs?: number;
  /** Card callback routing (`STREAM` for Stream-mode integrations). Default STREAM. */
  cardCallbackType?: (integrationId: string) => CardCallbackType | undefined;
  /** Card variable that holds the answer (markdown). Default `content`. */
  cardContentKey?: string;
  /** Most UTF-8 bytes of answer a card shows; the rest follows as markdown. Default 3 000. */
  cardMaxBytes?: number;
  /** Attempts at the final card update before the error surfaces (job retry). Default 4. */
  cardFinalizeAttempts?: number;
  /** A sessionWebhook is not used this close to its expiry. Default 60 000 ms. */
  webhookSafetyMarginMs?: number;
  /** Chunk size of markdown segments. Default MARKDOWN_CHUNK_MAX_BYTES (6 000). */
  markdownChunkBytes?: number;
  /** @-mention the asker on the first webhook message of a group answer. Default true. */
  mentionSenderInGroups?: boolean;
  /** This replica, as the owner of the cards it streams. Default: the process's replica id. */
  replicaId?: string;
}

export interface ResolvedReplyOptions {
  db: Queryable;
  client: (integrationId: string) => DingTalkClient | Promise<DingTalkClient>;
  hosts: { apiBaseUrl: string; oapiBaseUrl: string };
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  cardTemplateId: (integrationId: string) => string | undefined;
  cardCallbackType: (integrationId: string) => CardCallbackType | undefined;
  streamIntervalMs: number;
  maxStreamIntervalMs: number;
  cardContentKey: string;
  cardMaxBytes: number;
  cardFinalizeAttempts: number;
  webhookSafetyMarginMs: number;
  markdownChunkBytes: number;
  mentionSenderInGroups: boolean;
  replicaId: string;
  logger: ReplyLogger;
}

export const silentReplyLogger: ReplyLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function resolveReplyOptions(options: ReplyServiceOptions): ResolvedReplyOptions {
  const streamIntervalMs = positive(options.streamIntervalMs, 800);
  return {
    db: options.db,
    client: options.client,
    hosts: options.hosts,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
    cardTemplateId: options.cardTemplateId ?? (() => undefined),
    cardCallbackType: options.cardCallbackType ?? (() => undefined),
    streamIntervalMs,
    maxStreamIntervalMs: Math.max(streamIntervalMs, positive(options.maxStreamIntervalMs, 10_000)),
    cardContentKey: options.cardContentKey || 'content',
    cardMaxBytes: positive(options.cardMaxBytes, 3_000),
    cardFinalizeAttempts: Math.max(1, Math.floor(positive(options.cardFinalizeAttempts, 4))),
    webhookSafetyMarginMs: Math.max(0, options.webhookSafetyMarginMs ?? WEBHOOK_EXPIRY_MARGIN_MS),
    markdownChunkBytes: positive(options.markdownChunkBytes, MARKDOWN_CHUNK_MAX_BYTES),
    mentionSenderInGroups: options.mentionSenderInGroups ?? true,
    replicaId: options.replicaId || PROCESS_REPLICA_ID,
    logger: options.logger ?? silentReplyLogger,
  };
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
