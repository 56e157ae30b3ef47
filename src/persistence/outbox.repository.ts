import type { Queryable } from './database';
import type { OutboxStatus, OutboxTargetType } from './entities/outbox.entity';
import { clockParam, nowSql, type Clock } from '../kernel/clock';
import { TABLES } from './entities/table-names';
import { invalidArgument, requireText } from './invalid-argument';
import { errorText, isUuid, jsonParam, toDate, toDateOrNull, toStringOrNull } from './sql-values';

export type { OutboxStatus, OutboxTargetType } from './entities/outbox.entity';

export interface OutboxRecord {
  id: string;
  idempotencyKey: string;
  integrationId: string;
  targetType: OutboxTargetType;
  targetId: string;
  messageKind: string;
  status: OutboxStatus;
  processQueryKey: string | null;
  outTrackId: string | null;
  request: unknown;
  result: unknown;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  recalledAt: Date | null;
}

export interface OutboxReserveInput {
  /** Stable for one logical send (e.g. job id + part number), so a retry finds the first attempt. */
  idempotencyKey: string;
  integrationId: string;
  targetType: OutboxTargetType;
  targetId: string;
  messageKind: string;
  /** What we are about to send (no secrets); kept for update/recall and for audit. */
  request?: unknown;
  /** The replica sending it (a pending row is in flight only while its sender lives). */
  sender?: string;
}

export type AbandonedCard = OutboxRecord;

export interface OutboxSentInput {
  processQueryKey?: string | null;
  outTrackId?: string | null;
  result?: unknown;
}

const T = TABLES.outbox;
const COLUMNS = `id, idempotency_key, integration_id, target_type, target_id, message_kind, status, process_query_key,
  out_track_id, request, result, error, created_at, updated_at, recalled_at`;
const TARGET_TYPES: readonly OutboxTargetType[] = ['user', 'group', 'webhook', 'card'];

/**
 * One row per outbound send (P15). The sender reserves the idempotency key before calling DingTalk:
 * `created: true` means send now; `created: false` returns the earlier row, and the caller reuses its
 * stored result when it is `sent` (a retried job does not post twice) or sends again when it is
 * `pending` or `failed` (the earlier attempt never got an answer through).
 */
export class OutboxRepository {
  constructor(private readonly db: Queryable) {}

  async reserve(q: Queryable, input: OutboxReserveInput): Promise<{ row: OutboxRecord; created: boolean }> {
    requireText('idempotencyKey', input.idempotencyKey);
    requireText('integrationId', input.integrationId);
    requireText('targetId', input.targetId);
    requireText('messageKind', input.messageKind);
    if (!TARGET_TYPES.includes(input.targetType)) throw invalidArgument(`unknown outbox target type ${input.targetType}`);
    // Two statements, and a second try: if a concurrent reserve of the same key rolls back after our
    // insert gave way to it, the follow-up select finds nothing and the insert can now succeed.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const inserted = await q.query(
        `INSERT INTO ${T} (idempotency_key, integration_id, target_type, target_id, message_kind, request, sender)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING ${COLUMNS}`,
        [input.idempotencyKey, input.integrationId, input.targetType, input.targetId, input.messageKind, jsonParam(input.request ?? null), input.sender ?? null],
      );
      if (inserted.length === 1) return { row: toOutboxRecord(inserted[0]), created: true };
      const existing = await q.query(`SELECT ${COLUMNS} FROM ${T} WHERE idempotency_key = $1`, [input.idempotencyKey]);
      if (existing.length === 1) return { row: toOutboxRecord(existing[0]), created: false };
    }
    throw invalidArgument(`outbox key could be neither reserved nor found: ${input.idempotencyKey}`);
  }

  /** Records DingTalk's answer; the keys are what update and recall will need. */
  async markSent(id: string, sent: OutboxSentInput): Promise<OutboxRecord | null> {
    return this.update(
      `status = 'sent', process_query_key = COALESCE($2, process_query_key), out_track_id = COALESCE($3, out_track_id),
       result = $4::jsonb, error = NULL`,
      [id, sent.processQueryKey ?? null, sent.outTrackId ?? null, jsonParam(sent.result ?? null)],
    );
  }

  /** An answer card starts (or, taken over by a retry, resumes) streaming under `owner`. False when it was given up as abandoned meanwhile. */
  async startCardStream(id: string, owner: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await this.db.query(
      `UPDATE ${T} SET card_stream = 'streaming', stream_owner = $2, stream_orphaned_at = NULL, updated_at = now()
        WHERE id = $1::uuid AND card_stream IS DISTINCT FROM 'abandoned' RETURNING id`,
      [id, owner],
    );
    return rows.length === 1;
  }

  /** The owner gives the card up (it answered in markdown instead): the abandoned-card sweep finalizes it. */
  async abandonCardStream(id: string): Promise<void> {
    if (!isUuid(id)) return;
    await this.db.query(`UPDATE ${T} SET stream_owner = NULL, updated_at = now() WHERE id = $1::uuid AND card_stream = 'streaming'`, [id]);
  }

  /** The card shows its final state: `finalized` by its owner, or `abandoned` by the sweep. */
  async finishCardStream(id: string, state: 'finalized' | 'abandoned' = 'finalized'): Promise<void> {
    if (!isUuid(id)) return;
    await this.db.query(`UPDATE ${T} SET card_stream = $2, stream_orphaned_at = NULL, updated_at = now() WHERE id = $1::uuid`, [id, state]);
  }

  /**
   * Cards still streaming whose owner no live replica is (no heartbeat within `staleMs`): the first
   * sweep that sees one stamps `stream_orphaned_at`; once that is `graceMs` old (a job retry had
   * its chance to take the card over), the card is handed to `owner` to be finalized.
   */
  async takeAbandonedCards(input: { owner: string; staleMs: number; graceMs: number; limit: number; clock?: Clock }): Promise<AbandonedCard[]> {
    const now = clockParam(input.clock);
    await this.db.query(
      `UPDATE ${T} o SET stream_orphaned_at = ${nowSql(2)}
        WHERE o.card_stream = 'streaming' AND o.stream_orphaned_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM ${TABLES.appBudget} b
                           WHERE b.replica_id = o.stream_owner AND b.heartbeat_at > ${nowSql(2)} - make_interval(secs => $1::double precision / 1000))`,
      [input.staleMs, now],
    );
    const rows = await this.db.query(
      `UPDATE ${T} SET stream_owner = $1, stream_orphaned_at = NULL, updated_at = now()
        WHERE id IN (SELECT id FROM ${T}
                      WHERE card_stream = 'streaming' AND stream_orphaned_at IS NOT NULL
                        AND stream_orphaned_at <= ${nowSql(4)} - make_interval(secs => $2::double precision / 1000)
                      ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS}`,
      [input.owner, input.graceMs, input.limit, now],
    );
    return rows.map(toOutboxRecord);
  }

  /** Takes a failed or abandoned row up again: `pending` from now, so a concurrent identical send sees it in flight. */
  async retake(id: string, sender?: string): Promise<OutboxRecord | null> {
    return this.update(`status = 'pending', error = NULL, sender = $2`, [id, sender ?? null]);
  }

  /** Whether the replica that sent a pending row still lives (its budget heartbeat is fresh). */
  async senderAlive(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await this.db.query(
      `SELECT 1 FROM ${T} o JOIN ${TABLES.appBudget} b ON b.replica_id = o.sender
        WHERE o.id = $1::uuid AND b.heartbeat_at > now() - make_interval(secs => b.stale_after_ms::double precision / 1000)
        LIMIT 1`,
      [id],
    );
    return rows.length > 0;
  }

  async markFailed(id: string, error: unknown): Promise<OutboxRecord | null> {
    return this.update(`status = 'failed', error = $2`, [id, errorText(error)]);
  }

  async markRecalled(id: string): Promise<OutboxRecord | null> {
    return this.update(`status = 'recalled', recalled_at = now()`, [id]);
  }

  /**
   * Finds what an update/recall tool refers to: our row id, DingTalk's processQueryKey, the card's
   * outTrackId, or the idempotency key — within one integration. The newest match wins.
   */
  async findByMessageId(integrationId: string, idOrKey: string): Promise<OutboxRecord | null> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM ${T}
        WHERE integration_id = $1
          AND (id = $2::uuid OR process_query_key = $3 OR out_track_id = $3 OR idempotency_key = $3)
        ORDER BY created_at DESC
        LIMIT 1`,
      // Only a well-formed uuid is compared with the id column; anything else would fail the cast.
      [integrationId, isUuid(idOrKey) ? idOrKey : null, idOrKey],
    );
    return rows.length === 1 ? toOutboxRecord(rows[0]) : null;
  }

  /**
   * The row a notify tool refers to by the id it was given: our row id only. DingTalk's keys and our
   * idempotency keys are derivable or guessable, so they are no handle a model may use.
   */
  async findById(integrationId: string, id: string): Promise<OutboxRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE integration_id = $1 AND id = $2::uuid`, [integrationId, id]);
    return rows.length === 1 ? toOutboxRecord(rows[0]) : null;
  }

  async findByKey(idempotencyKey: string): Promise<OutboxRecord | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${T} WHERE idempotency_key = $1`, [idempotencyKey]);
    return rows.length === 1 ? toOutboxRecord(rows[0]) : null;
  }

  private async update(assignments: string, params: unknown[]): Promise<OutboxRecord | null> {
    if (!isUuid(String(params[0]))) return null;
    const rows = await this.db.query(
      `UPDATE ${T} SET ${assignments}, updated_at = now() WHERE id = $1::uuid RETURNING ${COLUMNS}`,
      params,
    );
    return rows.length === 1 ? toOutboxRecord(rows[0]) : null;
  }
}

function toOutboxRecord(row: Record<string, unknown>): OutboxRecord {
  return {
    id: String(row.id),
    idempotencyKey: String(row.idempotency_key),
    integrationId: String(row.integration_id),
    targetType: row.target_type as OutboxTargetType,
    targetId: String(row.target_id),
    messageKind: String(row.message_kind),
    status: row.status as OutboxStatus,
    processQueryKey: toStringOrNull(row.process_query_key),
    outTrackId: toStringOrNull(row.out_track_id),
    request: row.request ?? null,
    result: row.result ?? null,
    error: toStringOrNull(row.error),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    recalledAt: toDateOrNull(row.recalled_at),
  };
}

/** The column list its queries select; the schema-agreement test checks it against the entity. */
export { COLUMNS as OUTBOX_COLUMNS };
