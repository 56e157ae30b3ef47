import type { HostHarness } from '../host/harness';
import { RunCancellations } from '../../src/conversation/run-cancellations';
import { IntakeSpool } from '../../src/intake/spool-file';
import type { SpoolStatus } from '../../src/intake/spool-file';
import { StreamReceiver } from '../../src/intake/stream.receiver';
import { TABLES } from '../../src/persistence/entities/table-names';

/**
 * What the side panel shows about the plugin: Stream connections, the handoff queue, bindings,
 * sessions and the last inbound events. Read straight from the plugin's tables in the host database
 * (the sandbox owns the process, so no API is needed); each part fails on its own so one missing
 * table does not blank the panel.
 */

export interface PluginState {
  connections: Record<string, unknown>;
  /** Events acknowledged while the database was down, waiting to be drained into the inbox. */
  spool: (SpoolStatus & { enabled: boolean }) | undefined;
  queue: Array<{ integrationId: string; status: string; count: number }>;
  deadLetters: Array<Record<string, unknown>>;
  triggerBindings: Array<Record<string, unknown>>;
  sessions: Array<Record<string, unknown>>;
  inbound: Array<Record<string, unknown>>;
  /** Senders the trigger's access settings turned away. */
  refusals: Array<Record<string, unknown>>;
  /** Answers stopped by `/stop` or End conversation since the sandbox started. */
  stoppedRuns: number;
  errors: string[];
}

export async function readPluginState(host: HostHarness | undefined): Promise<PluginState> {
  const state: PluginState = { connections: {}, spool: undefined, queue: [], deadLetters: [], triggerBindings: [], sessions: [], inbound: [], refusals: [], stoppedRuns: 0, errors: [] };
  if (!host) {
    state.errors.push('plugin host not wired into the sandbox routes');
    return state;
  }
  try {
    state.connections = host.get(StreamReceiver).statuses();
  } catch (error) {
    state.errors.push(`connections: ${(error as Error).message}`);
  }
  try {
    const spool = host.get<IntakeSpool | null>(IntakeSpool);
    state.spool = spool ? { enabled: true, ...spool.status() } : { enabled: false, depth: 0, bytes: 0 };
  } catch (error) {
    state.errors.push(`spool: ${(error as Error).message}`);
  }
  try {
    state.stoppedRuns = host.get(RunCancellations).stoppedCount();
  } catch (error) {
    state.errors.push(`stopped runs: ${(error as Error).message}`);
  }
  const query = async <T>(label: string, sql: string): Promise<T[]> => {
    try {
      return (await host.hostDataSource.query(sql)) as T[];
    } catch (error) {
      state.errors.push(`${label}: ${(error as Error).message}`);
      return [];
    }
  };
  const [queue, dead, bindings, sessions, inbound, refusals] = await Promise.all([
    query<{ integrationId: string; status: string; count: number }>(
      'queue',
      `SELECT integration_id AS "integrationId", status, count(*)::int AS count FROM ${TABLES.handoff} GROUP BY 1, 2 ORDER BY 1, 2`,
    ),
    query<Record<string, unknown>>(
      'dead letters',
      `SELECT id, kind, integration_id AS "integrationId", attempts, last_error AS "lastError", finished_at AS "finishedAt"
         FROM ${TABLES.handoff} WHERE status = 'dead' ORDER BY seq DESC LIMIT 10`,
    ),
    query<Record<string, unknown>>(
      'trigger bindings',
      `SELECT integration_id AS "integrationId", xpert_id AS "xpertId", enabled, updated_at AS "updatedAt" FROM ${TABLES.triggerBinding} ORDER BY updated_at DESC`,
    ),
    query<Record<string, unknown>>(
      'sessions',
      `SELECT integration_id AS "integrationId", conversation_id AS "conversationId", sender_id AS "senderId", thread_id AS "threadId",
              last_active_at AS "lastActiveAt", ended_at AS "endedAt"
         FROM ${TABLES.conversationBinding} ORDER BY last_active_at DESC LIMIT 20`,
    ),
    query<Record<string, unknown>>(
      'inbound',
      `SELECT integration_id AS "integrationId", kind, conversation_id AS "conversationId", sender_id AS "senderId", received_at AS "receivedAt"
         FROM ${TABLES.inbox} ORDER BY received_at DESC LIMIT 10`,
    ),
    query<Record<string, unknown>>(
      'refusals',
      `SELECT integration_id AS "integrationId", conversation_id AS "conversationId", subject_id AS "subjectId", reason,
              refused_count AS "count", last_refused_at AS "lastRefusedAt"
         FROM ${TABLES.accessRefusal} ORDER BY last_refused_at DESC LIMIT 10`,
    ),
  ]);
  Object.assign(state, { queue, deadLetters: dead, triggerBindings: bindings, sessions, inbound, refusals });
  return state;
}
