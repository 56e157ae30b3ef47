import { createHash } from 'node:crypto';
import type { DingTalkRunContext } from '../conversation/run-context';
import { DingTalkError } from '../errors';
import type { TriggerBindingConfig } from '../persistence';
import type { TriggerCallbacks } from '../trigger/trigger-callbacks';
import type { ExpertRunner, RunnerLogger } from './expert-runner.port';
import { HostCallbackRunner } from './host-callback.runner';
import { XpertApiRunner, type XpertApiRunnerOptions } from './xpert-api.runner';

/**
 * `stream`: the runner's events are the answer (feed them to the reply port).
 * `detached`: the answer is posted by someone else (the notify middleware inside the expert); the
 * caller must send no answer and no empty message of its own.
 */
export type RunnerDelivery = 'stream' | 'detached';

export interface RunnerChoice {
  runner: ExpertRunner;
  delivery: RunnerDelivery;
}

export interface RunnerSelectorOptions {
  callbacks: TriggerCallbacks;
  /** Xpert API origin when the trigger config names none. */
  defaultApiBaseUrl: string;
  logger?: RunnerLogger;
  /** Test seam; defaults to `new XpertApiRunner(options)`. */
  createApiRunner?: (options: XpertApiRunnerOptions) => ExpertRunner;
}

/** How an integration's turns run, as the status route reports it. */
export type RunnerKind = 'threads-api' | 'host-callback';

export const CALLBACK_MISSING_CODE = 'dingtalk_expert_callback_missing';

/** The plugin config's xpertApiBaseUrl, else this host on its own port. */
export function defaultXpertApiBaseUrl(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  return configured || `http://127.0.0.1:${env.PORT || 3000}`;
}

/**
 * Chooses how one expert turn runs, per trigger binding:
 *   1. the trigger config has `xpertApiKey` → the Xpert threads API (streamed, multi-turn);
 *   2. this process holds the expert's trigger callback → the host callback (detached reply);
 *   3. otherwise throw a RETRYABLE error: another replica (whose host published the expert) may
 *      hold the callback, so the job waits for it and dead-letters with this reason at the end.
 */
export class RunnerSelector {
  private readonly apiRunners = new Map<string, ExpertRunner>();

  constructor(private readonly options: RunnerSelectorOptions) {}

  select(xpertId: string, config: TriggerBindingConfig | null | undefined, context: DingTalkRunContext): RunnerChoice {
    const apiKey = typeof config?.xpertApiKey === 'string' ? config.xpertApiKey.trim() : '';
    if (apiKey) {
      const baseUrl = typeof config?.xpertApiBaseUrl === 'string' && config.xpertApiBaseUrl.trim() ? config.xpertApiBaseUrl.trim() : this.options.defaultApiBaseUrl;
      return { runner: this.apiRunner(baseUrl, apiKey), delivery: 'stream' };
    }
    const callback = this.options.callbacks.get(xpertId);
    if (callback) return { runner: new HostCallbackRunner(callback, context), delivery: 'detached' };
    throw new DingTalkError(
      CALLBACK_MISSING_CODE,
      "No replica has this expert's trigger callback (publish the expert again, or set an Xpert API key on its DingTalk trigger).",
      503,
      { xpertId },
    );
  }

  /**
   * Which runner `select` would pick, without building it (the status route's `runner`); null
   * when this replica has none for the expert (the job would wait for another replica).
   */
  kindFor(xpertId: string, config: TriggerBindingConfig | null | undefined): RunnerKind | null {
    const apiKey = typeof config?.xpertApiKey === 'string' ? config.xpertApiKey.trim() : '';
    if (apiKey) return 'threads-api';
    if (this.options.callbacks.has(xpertId)) return 'host-callback';
    return null;
  }

  /** One runner per (origin, key), so its created-threads cache is shared by every turn. */
  private apiRunner(baseUrl: string, apiKey: string): ExpertRunner {
    const cacheKey = createHash('sha256').update(`${baseUrl}\n${apiKey}`).digest('hex');
    let runner = this.apiRunners.get(cacheKey);
    if (!runner) {
      const options: XpertApiRunnerOptions = { baseUrl, apiKey, ...(this.options.logger ? { logger: this.options.logger } : {}) };
      runner = this.options.createApiRunner ? this.options.createApiRunner(options) : new XpertApiRunner(options);
      this.apiRunners.set(cacheKey, runner);
    }
    return runner;
  }
}
