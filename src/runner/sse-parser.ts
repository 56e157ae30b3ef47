/**
 * Incremental Server-Sent Events parser (WHATWG HTML "event stream interpretation").
 *
 * Pure and transport-free: feed it whatever the socket delivers, split anywhere (mid-line, between
 * CR and LF, or mid-UTF-8 sequence when fed bytes) and it yields whole messages. Used for the Xpert
 * host's streams and for the OpenAI-compatible stream of the sandbox demo model.
 */

export interface SseMessage {
  /** The `event:` field; absent for the default `message` type (Nest sends none for normal events). */
  event?: string;
  /** The last event id seen so far (spec: it persists across messages until changed). */
  id?: string;
  /** All `data:` lines of the message joined with `\n`. */
  data: string;
}

export class SseParser {
  // Bytes are decoded in streaming mode so a multi-byte character split across chunks survives.
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private sawFirstText = false;
  // A chunk ending in CR may be the first half of CRLF; the LF must then not end a second line.
  private skipLeadingLf = false;
  private dataLines: string[] = [];
  private hasData = false;
  private eventType: string | undefined;
  private lastEventId: string | undefined;

  /** Feeds one chunk; returns the messages it completed, in order. */
  push(chunk: string | Uint8Array): SseMessage[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.consume(text);
  }

  /**
   * Signals the end of the stream. Flushes the decoder and any complete last line; per the spec an
   * event not terminated by a blank line is discarded, so a truncated JSON payload never surfaces.
   */
  end(): SseMessage[] {
    const tail = this.decoder.decode();
    const out = this.consume(tail);
    if (this.buffer.length > 0) {
      this.processLine(this.buffer, out);
      this.buffer = '';
    }
    this.resetEvent();
    return out;
  }

  private consume(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    if (text.length === 0) return out;
    let input = text;
    if (!this.sawFirstText) {
      this.sawFirstText = true;
      // A UTF-8 BOM may start the stream only; TextDecoder strips it for bytes, strings need this.
      if (input.charCodeAt(0) === 0xfeff) input = input.slice(1);
    }
    if (this.skipLeadingLf && input.startsWith('\n')) input = input.slice(1);
    this.skipLeadingLf = false;

    let data = this.buffer + input;
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const ch = data.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.processLine(data.slice(start, i), out);
      if (ch === 13) {
        if (i + 1 < data.length) {
          if (data.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    data = data.slice(start);
    this.buffer = data;
    return out;
  }

  private processLine(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // comment (real SSE keep-alive)
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
    }
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      default:
        // `retry` and unknown fields carry nothing we use.
        break;
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (this.hasData) {
      const message: SseMessage = { data: this.dataLines.join('\n') };
      if (this.eventType !== undefined && this.eventType !== '') message.event = this.eventType;
      if (this.lastEventId !== undefined) message.id = this.lastEventId;
      out.push(message);
    }
    this.resetEvent();
  }

  private resetEvent(): void {
    this.dataLines = [];
    this.hasData = false;
    this.eventType = undefined;
  }
}

/** Parses a complete stream at once; handy for tests and recorded fixtures. */
export function parseSse(text: string | Uint8Array): SseMessage[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}
