/**
 * When a job accepted at `now` may run. Pure.
 *
 * After an outage every replica drains its spool, each at its own next drain tick, so for a moment
 * one replica may hold a chat's earlier message while another already has a later one in the queue.
 * Jobs are ordered by arrival (0013), but the earlier message can only hold the later one back once
 * it is in the table. So for `settleMs` after this replica saw the database come back (or while it
 * still sees it down: the write that is about to succeed is the first one), new jobs are due only at
 * the end of that window. Outside it nothing waits.
 */
export function settledRunAt(input: { now: number; down: boolean; recoveredAt: number | undefined; settleMs: number }): Date | undefined {
  const { now, down, recoveredAt, settleMs } = input;
  if (settleMs <= 0) return undefined;
  if (down) return new Date(now + settleMs);
  if (recoveredAt === undefined) return undefined;
  const until = recoveredAt + settleMs;
  return now < until ? new Date(until) : undefined;
}
