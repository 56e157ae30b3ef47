/**
 * Where the fake expert's answer text comes from. The echo model is the default and the only one
 * the tests use: deterministic, offline, and it repeats the turn number so tests can prove that a
 * second message landed in the same thread. The OpenAI-compatible model is for trying the sandbox
 * with a real LLM; it is chosen only when both environment variables are set.
 */
import { SseParser } from '../../src/runner/sse-parser';

export interface DemoHistoryEntry {
  role: 'human' | 'ai';
  content: string;
}

export interface DemoTurn {
  /** The user's text with demo commands (`/tool`, …) left in. */
  text: string;
  /** 1-based number of this human turn in the thread. */
  turn: number;
  /** Earlier messages of the thread, oldest first, without this turn. */
  history: readonly DemoHistoryEntry[];
}

export interface DemoModel {
  readonly name: string;
  /** Yields the answer as text deltas. */
  reply(turn: DemoTurn, signal: AbortSignal): AsyncIterable<string>;
}

/** Splits text into deltas of `size` code points (never inside a surrogate pair). */
export function chunkText(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** The deterministic answer of the echo model. */
export function echoAnswer(turn: DemoTurn): string {
  const lastHuman = [...turn.history].reverse().find((entry) => entry.role === 'human');
  const lines = [`**You said:** ${turn.text}`, '', `This is turn ${turn.turn} of our conversation.`];
  if (lastHuman) lines.push(`Last time you said: ${lastHuman.content}`);
  return lines.join('\n');
}

export class EchoDemoModel implements DemoModel {
  readonly name = 'echo';

  async *reply(turn: DemoTurn): AsyncIterable<string> {
    yield* chunkText(echoAnswer(turn), 12);
  }
}

export interface OpenAiDemoModelOptions {
  baseUrl: string;
  apiKey: string;
  model?: string;
}

/** Streams a chat completion from any OpenAI-compatible endpoint. Untested by design (network). */
export class OpenAiDemoModel implements DemoModel {
  readonly name = 'openai';

  constructor(private readonly options: OpenAiDemoModelOptions) {}

  async *reply(turn: DemoTurn, signal: AbortSignal): AsyncIterable<string> {
    const messages = [
      { role: 'system', content: 'You are a helpful digital expert answering in a DingTalk chat. Use Markdown.' },
      ...turn.history.map((entry) => ({ role: entry.role === 'human' ? 'user' : 'assistant', content: entry.content })),
      { role: 'user', content: turn.text },
    ];
    const response = await fetch(`${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
      body: JSON.stringify({ model: this.options.model ?? 'gpt-4o-mini', stream: true, messages }),
      signal,
    });
    if (!response.ok || !response.body) throw new Error(`demo model answered HTTP ${response.status}`);
    const parser = new SseParser();
    const reader = response.body.getReader();
    for (;;) {
      const chunk = await reader.read();
      const messages = chunk.done ? parser.end() : parser.push(chunk.value);
      for (const message of messages) {
        if (message.data === '[DONE]') return;
        const delta = parseDelta(message.data);
        if (delta) yield delta;
      }
      if (chunk.done) return;
    }
  }
}

function parseDelta(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
    const content = parsed.choices?.[0]?.delta?.content;
    return typeof content === 'string' && content ? content : undefined;
  } catch {
    return undefined;
  }
}

/** Echo unless `OPENAI_BASE_URL` and `OPENAI_API_KEY` are both set (`OPENAI_MODEL` optional). */
export function demoModelFromEnv(env: NodeJS.ProcessEnv = process.env): DemoModel {
  const baseUrl = env.OPENAI_BASE_URL?.trim();
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (baseUrl && apiKey) return new OpenAiDemoModel({ baseUrl, apiKey, model: env.OPENAI_MODEL?.trim() || undefined });
  return new EchoDemoModel();
}
