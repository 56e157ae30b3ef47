import { createHash } from 'node:crypto';
import type { DingTalkRunContext } from '../kernel/run-context';
import { DingTalkError } from '../kernel/errors';
import type { TriggerBindingConfig } from '../persistence';
import type { TriggerCallbacks } from '../trigger/trigger-callbacks';
import type { ExpertRunner, RunnerLogger } from './expert-runner.port';
import type { HandoffQueueService } from '../host/handoff.contract';
import { HostCallbackRunner } from './host-callback.runner';
import { HostDispatchRunner } from './host-dispatch.runner';
import { XpertApiRunner, type XpertApiRunnerOptions } from './xpert-api.runner';

/**
 * `stream`: the runner's events are the answer (feed them to the reply port).
 * `detached`: the answer is posted by someone else (the notify middleware inside the expert); the
 * caller must send no answer and no empty message of its own.
 * `dispatched`: the host runs the expert and streams its events back to our handoff processor,
 * which delivers the answer; the caller records the run and sends nothing itself.
 */
export type RunnerDelivery = 'stream' | 'detached' | 'dispatched';

/** Which runner answers an integration's turns (the status route reports it). */
export type RunnerKind = 'threads-api' | 'host-dispatch' | 'host-callback';

/** The tenant and organization a dispatched run belongs to (the integration's). */
export interface RunnerScope {
  tenantId: string | null;
  organizationId: string | null;
}

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
  /** The host's handoff queue when it offers one (a 3.17 host), else undefined. Asked per turn. */
  handoffQueue?: () => HandoffQueueService | undefined;
}

export const CALLBACK_MISSING_CODE = 'dingtalk_expert_callback_missing';

/** The plugin config's xpertApiBaseUrl, else this host on its own port. */
export function defaultXpertApiBaseUrl(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  return configured || `http://127.0.0.1:${env.PORT || 3000}`;
}

/**
 * Chooses how one expert turn runs, per trigger binding:
 *   1. the trigger config has `xpertApiKey` → the Xpert threads API (streamed, multi-turn);
 *   2. the host offers its handoff queue (3.17) → host dispatch (streamed, multi-turn, no key),
 *      sent through the expert's trigger callback when this process holds it, else the queue;
 *   3. this process holds the expert's trigger callback → the host callback (detached reply);
 *   4. otherwise throw a RETRYABLE error: another replica (whose host published the expert) may
 *      hold the callback, so the job waits for it and dead-letters with this reason at the end.
 */
export class RunnerSelector {
  private readonly apiRunners = new Map<string, ExpertRunner>();

  constructor(private readonly options: RunnerSelectorOptions) {}

  select(xpertId: string, config: TriggerBindingConfig | null | undefined, context: DingTalkRunContext, scope?: RunnerScope): RunnerChoice {
    const apiKey = typeof config?.xpertApiKey === 'string' ? config.xpertApiKey.trim() : '';
    if (apiKey) {
      const baseUrl = typeof config?.xpertApiBaseUrl === 'string' && config.xpertApiBaseUrl.trim() ? config.xpertApiBaseUrl.trim() : this.options.defaultApiBaseUrl;
      return { runner: this.apiRunner(baseUrl, apiKey), delivery: 'stream' };
    }
    const callback = this.options.callbacks.get(xpertId);
    const queue = this.queue();
    if (queue && scope?.tenantId) {
      const via = callback ? { callback } : { queue };
      return { runner: new HostDispatchRunner({ tenantId: scope.tenantId, organizationId: scope.organizationId, via }), delivery: 'dispatched' };
    }
    if (callback) return { runner: new HostCallbackRunner(callback, context), delivery: 'detached' };
    throw new DingTalkError(
      CALLBACK_MISSING_CODE,
      "No replica has this expert's trigger callback (publish the expert again, or set an Xpert API key on its DingTalk trigger).",
      503,
      { xpertId },
    );
  }

  /** Which runner `select` would pick for an expert with these trigger settings (no side effects). */
  kind(xpertId: string, config: TriggerBindingConfig | null | undefined): RunnerKind | null {
    if (typeof config?.xpertApiKey === 'string' && config.xpertApiKey.trim()) return 'threads-api';
    if (this.queue()) return 'host-dispatch';
    return this.options.callbacks.has(xpertId) ? 'host-callback' : null;
  }

  private queue(): HandoffQueueService | undefined {
    try {
      return this.options.handoffQueue?.();
    } catch {
      return undefined; // a 3.7 host, or no permission: not this runner
    }
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
