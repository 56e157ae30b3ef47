import { randomBytes } from 'node:crypto';

/** Types and frame builders of the simulated Stream gateway (fact sheet §7c/§7d). */

export interface GatewayLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentGatewayLogger: GatewayLogger = {
  debug: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface Subscription {
  type: string;
  topic: string;
}

export type FrameType = 'SYSTEM' | 'EVENT' | 'CALLBACK';

export interface DownstreamFrame {
  specVersion: '1.0';
  type: FrameType;
  headers: Record<string, string>;
  data: string;
}

/** An upstream ACK as the gateway recorded it (`data` as sent: a JSON string). */
export interface AckRecord {
  messageId: string;
  clientId: string;
  connectionId: string;
  type: FrameType | 'UNKNOWN';
  topic: string;
  code: number;
  message: string;
  data: string;
  at: number;
}

/** What a push resolves to: the ACK, or `acked: false` when none came within `ackTimeoutMs`. */
export type AckResult =
  | { acked: true; messageId: string; connectionId: string; code: number; message: string; data: string }
  | { acked: false; messageId: string };

/** One `POST /v1.0/gateway/connections/open` as seen (no secret kept). */
export interface OpenRequestRecord {
  clientId: string;
  subscriptions: Subscription[];
  ua: string;
  accept: string | undefined;
  status: number;
  at: number;
}

export interface ConnectionInfo {
  id: string;
  clientId: string;
  open: boolean;
  /** Sent SYSTEM `disconnect`: gets no new pushes, closes soon. */
  draining: boolean;
  /** Stopped answering WebSocket pings (see `stall`). */
  stalled: boolean;
  subscriptions: Subscription[];
  ua: string;
  openedAt: number;
  closedAt?: number;
}

/** A message id in DingTalk's shape (`212ca9d7_974_1898c159aa6_1783b`). */
export function newMessageId(now: number): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  return `${hex(4)}_${Math.floor(Math.random() * 1000)}_${now.toString(16)}_${hex(3).slice(0, 5)}`;
}

export function newConnectionId(): string {
  return randomBytes(16).toString('hex');
}

export function buildFrame(
  type: FrameType,
  base: { appId: string; connectionId: string; messageId: string; topic: string; time: number },
  data: string,
  extraHeaders: Record<string, string> = {},
): DownstreamFrame {
  return {
    specVersion: '1.0',
    type,
    headers: {
      appId: base.appId,
      connectionId: base.connectionId,
      contentType: 'application/json',
      messageId: base.messageId,
      time: String(base.time),
      topic: base.topic,
      ...extraHeaders,
    },
    data,
  };
}

/** Parses an upstream text frame into an ACK shape, or undefined when it is not one. */
export function parseAck(raw: string): { messageId: string; code: number; message: string; data: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const frame = value as { code?: unknown; headers?: { messageId?: unknown }; message?: unknown; data?: unknown };
  if (typeof frame.headers?.messageId !== 'string') return undefined;
  return {
    messageId: frame.headers.messageId,
    code: typeof frame.code === 'number' ? frame.code : Number(frame.code),
    message: typeof frame.message === 'string' ? frame.message : '',
    data: typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data ?? null),
  };
}

/** Whether the ACK ends the message's life: 200 for callbacks, 200 + status SUCCESS for events. */
export function isSuccessAck(type: FrameType, ack: { code: number; data: string }): boolean {
  if (ack.code !== 200) return false;
  if (type !== 'EVENT') return true;
  try {
    return (JSON.parse(ack.data) as { status?: unknown }).status === 'SUCCESS';
  } catch {
    return false;
  }
}
