import { parsePluginConfig } from '../../../../src/config/plugin-config';
import type { ConversationDeps } from '../../../../src/conversation/conversation.deps';
import { createJobHandlers } from '../../../../src/conversation/job-handlers.factory';
import type { PluginDatabase } from '../../../../src/core/plugin-database.service';
import { isPermanentFailure, PermanentJobError, type JobHandler } from '../../../../src/handoff/job-handler.port';
import { actionEventOf, actionLinkSecret, verifyActionLink } from '../../../../src/kernel/action-link';
import { IntakeService, type IntakeOutcome } from '../../../../src/intake/intake.service';
import { IntegrationResolver } from '../../../../src/integration/integration-resolver';
import { DatabaseAvailability, HandoffRepository, type Database, type HandoffJob } from '../../../../src/persistence';
import { RunnerSelector } from '../../../../src/runner/runner.selector';
import { TriggerCallbacks } from '../../../../src/trigger/trigger-callbacks';
import { FakeClock, MemoryIntegrationRecords, RecordingReply, robotMessage } from './fakes';

export const PUBLIC_BASE_URL = 'https://xpert.example.com';

export interface DrainedJob {
  job: HandoffJob;
  error?: unknown;
}

export interface EngineOptions {
  db: Database;
  clock?: FakeClock;
  records?: MemoryIntegrationRecords;
  callbacks?: TriggerCallbacks;
  reply?: RecordingReply;
  /** Origin of the Xpert API for bindings that name none (the fake threads API in tests). */
  apiBaseUrl?: string;
  files?: ConversationDeps['files'];
}

/**
 * The conversation engine as the worker drives it, without Nest: real database, real intake,
 * real job handlers; fakes for the reply port and integration records. `drain()` plays the worker:
 * it claims due jobs (on the fake clock) one at a time and completes, retries or dead-letters them.
 */
export class EngineHarness {
  readonly db: Database;
  readonly clock: FakeClock;
  readonly records: MemoryIntegrationRecords;
  readonly callbacks: TriggerCallbacks;
  readonly reply: RecordingReply;
  readonly deps: ConversationDeps;
  readonly handlers: Map<string, JobHandler>;
  readonly intake: IntakeService;
  /** How long after a failure the drained job is due again (fake clock). */
  retryDelayMs = 3600_000;
  private readonly queue: HandoffRepository;

  constructor(private readonly options: EngineOptions) {
    this.db = options.db;
    this.clock = options.clock ?? new FakeClock();
    this.records = options.records ?? new MemoryIntegrationRecords();
    this.callbacks = options.callbacks ?? new TriggerCallbacks();
    this.reply = options.reply ?? new RecordingReply();
    const database = { open: async () => this.db };
    this.deps = {
      database,
      integrations: new IntegrationResolver(this.records),
      reply: this.reply,
      runners: new RunnerSelector({ callbacks: this.callbacks, defaultApiBaseUrl: options.apiBaseUrl ?? 'http://127.0.0.1:9' }),
      ...(options.files ? { files: options.files } : {}),
      now: this.clock.now,
      publicBaseUrl: PUBLIC_BASE_URL,
    };
    this.handlers = new Map(createJobHandlers(this.deps).map((handler) => [handler.kind, handler]));
    // Intake stamps arrivals on the engine's clock, as the plugin's DINGTALK_CLOCK does.
    const intakeDatabase = { ...database, availability: new DatabaseAvailability(this.clock.now) };
    this.intake = new IntakeService(intakeDatabase as unknown as PluginDatabase, parsePluginConfig({}), undefined, undefined, this.clock.now);
    this.queue = new HandoffRepository(this.db, () => new Date(this.clock.now()));
  }

  /** A second engine on the same database and clock: what a restarted (or another) replica runs. */
  restart(overrides: Partial<EngineOptions> = {}): EngineHarness {
    return new EngineHarness({ ...this.options, db: this.db, clock: this.clock, records: this.records, callbacks: new TriggerCallbacks(), reply: this.reply, ...overrides });
  }

  /** A robot message through intake, as DingTalk would deliver it. */
  async send(integrationId: string, overrides: Parameters<typeof robotMessage>[0] = {}): Promise<IntakeOutcome & { eventId: string }> {
    const event = robotMessage(overrides);
    const integration = await this.deps.integrations.resolve(integrationId);
    return { ...(await this.intake.accept(integration, event)), eventId: event.eventId };
  }

  /** Opens a signed action link the way the action controller does. */
  async openLink(url: string): Promise<IntakeOutcome> {
    const query = Object.fromEntries(new URL(url).searchParams.entries());
    const integration = await this.deps.integrations.resolve(query.i);
    const link = verifyActionLink(query, actionLinkSecret(integration.options.clientSecret), this.clock.now());
    return this.intake.accept(integration, actionEventOf(link));
  }

  /** Runs every due job, oldest first; failures are due again `retryDelayMs` later on the fake clock. */
  async drain(limit = 100): Promise<DrainedJob[]> {
    const ran: DrainedJob[] = [];
    for (let i = 0; i < limit; i++) {
      const [job] = await this.queue.claim({ owner: 'test-worker', limit: 1, leaseMs: 600_000 });
      if (!job) return ran;
      const handler = this.handlers.get(job.kind);
      try {
        if (!handler) throw new PermanentJobError('dingtalk_job_kind_unknown', `no handler for ${job.kind}`);
        await handler.handle(job, { signal: new AbortController().signal, owner: 'test-worker' });
        await this.queue.complete(job.id, 'test-worker');
        ran.push({ job });
      } catch (error) {
        await this.queue.fail(job.id, 'test-worker', error, { dead: isPermanentFailure(error), retryAt: new Date(this.clock.now() + this.retryDelayMs) });
        ran.push({ job, error });
      }
    }
    throw new Error('drain did not settle');
  }

  async jobs(kind?: string): Promise<HandoffJob[]> {
    const rows = await this.db.query(`SELECT id FROM plugin_dingtalk_handoff ${kind ? 'WHERE kind = $1' : ''} ORDER BY seq`, kind ? [kind] : []);
    const jobs: HandoffJob[] = [];
    for (const row of rows) {
      const job = await this.queue.get(String(row.id));
      if (job) jobs.push(job);
    }
    return jobs;
  }
}
