import type { DingTalkClient } from '../dingtalk/client';
import { DingTalkError } from '../kernel/errors';
import { PermanentJobError } from '../handoff/job-handler.port';
import { normalizeLanguage } from '../i18n';
import type { DingTalkIntegration } from '../kernel/integration';
import type { Database } from '../persistence';
import { ConversationStateRepository } from '../persistence/conversation-state.repository';
import type { ReplyPort } from '../reply/reply.port';
import type { ReplyTarget } from '../kernel/run-context';
import { silentRunnerLogger, type RunnerLogger } from '../runner/expert-runner.port';
import type { RunnerSelector } from '../runner/runner.selector';
import { AccessGate } from './access.gate';
import { Aggregator } from './aggregator';
import type { StoredMessageEvent } from './job-payloads';
import { NotConnectedNotice } from './not-connected.notice';
import { Router } from './router';
import type { RunCancellations } from './run-cancellations';
import { RunLedger } from './run-ledger';
import { Sessions } from './sessions';

/** Everything the conversation engine needs from outside; all ports, so tests can fake each one. */
export interface ConversationDeps {
  database: { open(): Promise<Database> };
  integrations: { resolve(integrationId: string): Promise<DingTalkIntegration> };
  reply: ReplyPort;
  runners: Pick<RunnerSelector, 'select'>;
  /** The integration's DingTalk client, for attachment download URLs; without it attachments become a note. */
  files?: (integration: DingTalkIntegration) => Pick<DingTalkClient, 'getMessageFileDownloadUrl'>;
  now: () => number;
  /** Public origin for signed action links (End conversation, Confirm/Reject); none → no links. */
  publicBaseUrl?: string;
  logger?: RunnerLogger;
  /**
   * Called after a job that is due now was enqueued (a dispatch, a forwarded card action), so an
   * in-process worker claims it at once instead of at its next poll. Optional: polling still works.
   */
  wake?: () => void;
  /** Pause used while a turn waits for the session's previous dispatched answer; real timers by default. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The runs in progress on this replica, which `/stop` and End conversation abort. */
  cancellations?: RunCancellations;
  /**
   * How long a finished run's result waits for the database before the job gives up on recording
   * it; as long as a lease survives an outage (2/3 of `worker.leaseMs`), so a retry does not ask the
   * expert again after an outage the lease outlived. Default 30 s.
   */
  recordPatienceMs?: number;
}

/** The per-database helpers of one job run (cheap objects over the open database). */
export class ConversationCore {
  readonly sessions: Sessions;
  readonly router: Router;
  readonly aggregator: Aggregator;
  readonly notConnected: NotConnectedNotice;
  readonly access: AccessGate;
  readonly ledger: RunLedger;
  readonly state: ConversationStateRepository;
  readonly logger: RunnerLogger;

  constructor(
    readonly db: Database,
    readonly deps: ConversationDeps,
  ) {
    this.sessions = new Sessions(db, deps.now);
    this.router = new Router(db, this.sessions);
    this.aggregator = new Aggregator(db, deps.now);
    this.notConnected = new NotConnectedNotice(db, deps.reply, deps.now);
    this.ledger = new RunLedger(db, { recordPatienceMs: deps.recordPatienceMs });
    this.state = new ConversationStateRepository(db);
    this.logger = deps.logger ?? silentRunnerLogger;
    this.access = new AccessGate(db, deps.reply, deps.now, this.logger);
  }

  static async open(deps: ConversationDeps): Promise<ConversationCore> {
    return new ConversationCore(await deps.database.open(), deps);
  }
}

/** Integration errors no retry can fix (deleted, wrong provider, broken settings). */
const PERMANENT_INTEGRATION_CODES = new Set(['dingtalk_integration_not_found', 'dingtalk_integration_provider_mismatch', 'dingtalk_integration_misconfigured']);

/** Resolves the job's integration; a gone or broken integration dead-letters the job at once. */
export async function resolveIntegration(deps: ConversationDeps, integrationId: string): Promise<DingTalkIntegration> {
  try {
    return await deps.integrations.resolve(integrationId);
  } catch (error) {
    if (error instanceof DingTalkError && PERMANENT_INTEGRATION_CODES.has(error.code)) throw new PermanentJobError(error.code, error.message);
    throw error;
  }
}

/** Where the answer to `event` goes; everything comes from the verified inbound event. */
export function replyTargetOf(integration: Pick<DingTalkIntegration, 'id' | 'options'>, event: StoredMessageEvent): ReplyTarget {
  return {
    integrationId: integration.id,
    conversationType: event.conversationType,
    conversationId: event.conversationId,
    ...(event.senderStaffId ? { senderStaffId: event.senderStaffId } : {}),
    ...(event.senderNick ? { senderNick: event.senderNick } : {}),
    ...(event.sessionWebhook ? { sessionWebhook: event.sessionWebhook } : {}),
    ...(event.sessionWebhookExpiresAt !== undefined ? { sessionWebhookExpiresAt: event.sessionWebhookExpiresAt } : {}),
    language: normalizeLanguage(integration.options.preferredLanguage),
  };
}
