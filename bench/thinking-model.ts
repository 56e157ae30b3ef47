import { EchoDemoModel, type DemoModel, type DemoTurn } from '../sandbox/fake-xpert/demo-model';

/**
 * The echo expert with a model's time to first token: it waits `thinkMs` before its first delta, as
 * an LLM does (a fast one takes a few hundred milliseconds). With it the first-reply figure shows
 * what a user waits for besides the model — worker slots, budgets, locks — instead of how busy the
 * machine's cores are; the instant echo expert keeps the bench CPU-bound.
 */
export class ThinkingEchoModel implements DemoModel {
  readonly name = 'echo-thinking';
  private readonly echo = new EchoDemoModel();

  constructor(private readonly thinkMs: number) {}

  async *reply(turn: DemoTurn, signal: AbortSignal): AsyncIterable<string> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.thinkMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal.aborted) return;
    yield* this.echo.reply(turn);
  }
}
