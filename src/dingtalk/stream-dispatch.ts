import { EventAck, TOPIC_CARD, TOPIC_ROBOT, type DWClientDownStream } from 'dingtalk-stream';
import { isDingTalkError } from '../kernel/errors';
import type { StreamHandlers, StreamLogger, StreamMessageMeta } from './stream-types';

/** The two ACK calls of one SDK client; the ACK must leave on the socket the frame came in on. */
export interface AckChannel {
  send(messageId: string, value: unknown): void;
  socketCallBackResponse(messageId: string, result: unknown): void;
}

/**
 * Runs the handler for one frame and ACKs only once it resolved ("durable, then ack").
 *
 * - CALLBACK (robot message, card action): success -> `code 200, data {"response": <result>}`. Failure ->
 *   NO ACK at all. An unacknowledged callback is what DingTalk re-pushes (its SDK documents retries for
 *   about 60 s); a non-200 ACK has no documented meaning and might be taken as final.
 * - EVENT: success -> `{"status":"SUCCESS"}`; failure -> `{"status":"LATER"}`, the protocol's own
 *   "consumption failed, deliver again".
 *
 * Handlers run concurrently; redelivered frames reach the handler again with the same messageId (dedupe
 * is intake's job).
 */
export class StreamDispatcher {
  constructor(
    private readonly handlers: StreamHandlers,
    private readonly logger: StreamLogger,
  ) {}

  async handleCallback(channel: AckChannel, message: DWClientDownStream): Promise<void> {
    const meta = metaOf(message, 'CALLBACK');
    const data = parseData(message.data);
    let result: unknown = null;
    try {
      if (meta.topic === TOPIC_ROBOT) {
        await this.handlers.onRobotMessage(data, meta);
      } else if (meta.topic === TOPIC_CARD) {
        result = (await this.handlers.onCardCallback(data, meta)) ?? null;
      } else {
        // Not subscribed by us; leave it unacknowledged rather than claim it was handled.
        this.logger.warn(`DingTalk stream: callback on unexpected topic ${meta.topic} (messageId ${meta.messageId}) ignored`);
        return;
      }
    } catch (error) {
      this.logger.warn(
        `DingTalk stream: ${meta.topic} handler failed for messageId ${meta.messageId} (${errorSummary(error)}); not acknowledged (events are pushed again; robot messages are not)`,
      );
      return;
    }
    this.ack(meta, () => channel.socketCallBackResponse(meta.messageId, result));
  }

  async handleEvent(channel: AckChannel, message: DWClientDownStream): Promise<void> {
    const meta = metaOf(message, 'EVENT');
    let status = EventAck.SUCCESS;
    let note = 'OK';
    if (this.handlers.onEvent) {
      try {
        await this.handlers.onEvent(message.headers, parseData(message.data));
      } catch (error) {
        status = EventAck.LATER;
        note = 'consumer failed, deliver later';
        this.logger.warn(
          `DingTalk stream: event ${message.headers?.eventType ?? '?'} handler failed for messageId ${meta.messageId} (${errorSummary(error)}); answered LATER`,
        );
      }
    }
    this.ack(meta, () => channel.send(meta.messageId, { status, message: note }));
  }

  private ack(meta: StreamMessageMeta, send: () => void): void {
    if (!meta.messageId) {
      this.logger.warn(`DingTalk stream: frame on ${meta.topic} without messageId cannot be acknowledged`);
      return;
    }
    try {
      // If the socket closed meanwhile the ACK is dropped; the server re-pushes the frame elsewhere.
      send();
      this.logger.debug(`DingTalk stream: acknowledged ${meta.type} ${meta.messageId} on ${meta.topic}`);
    } catch (error) {
      this.logger.warn(`DingTalk stream: could not send ACK for messageId ${meta.messageId} (${errorSummary(error)})`);
    }
  }
}

function metaOf(message: DWClientDownStream, type: StreamMessageMeta['type']): StreamMessageMeta {
  const headers = message.headers ?? ({} as DWClientDownStream['headers']);
  return {
    messageId: headers.messageId,
    topic: headers.topic,
    type,
    ...(headers.time !== undefined ? { time: String(headers.time) } : {}),
    ...(headers.connectionId ? { connectionId: headers.connectionId } : {}),
  };
}

/** `data` is a JSON string on the wire; hand over the raw value when it is not. */
function parseData(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Error code/name and message only: errors of ours never carry bodies or secrets (see errors.ts). */
function errorSummary(error: unknown): string {
  if (isDingTalkError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 200);
  return typeof error;
}
