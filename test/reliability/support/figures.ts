import { Client } from 'pg';
import type { FakeRunRecord } from '../../../sandbox/fake-xpert/threads-api';
import type { SimMessage } from '../../../sandbox/simulator/types';
import type { DeliveryLog } from './delivery';
import { quotedTag } from './settle';
import type { PlannedMessage, SessionPlan } from './traffic';

export interface DeliveryFigures {
  messages: number;
  byMode: { http: number; stream: number };
  deliveries: number;
  duplicatesDelivered: number;
  failedAttempts: number;
  http5xx: number;
  inboxRows: number;
  jobs: number;
  jobsDone: number;
  expertRuns: number;
  /** Re-runs of a message whose earlier runs were all cut off mid-stream (replica killed, database gone). */
  rerunsAfterCutOff: number;
  /** Re-runs after a run that had finished, on a replica killed before it could record the result. */
  rerunsAfterFinishedRun: number;
  duplicateRuns: number;
  answers: number;
  duplicateAnswers: number;
  closingCards: number;
  outOfOrder: number;
  lost: number;
  /** Jobs a killed replica was running when it died, taken back after their lease expired. */
  reclaimedFromKilled: number;
  /** Up to ten messages that broke a promise, with what the expert and the queue saw of them. */
  examples: string[];
}

interface JobRow {
  event_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

/** Reads what happened to every planned message at the simulator, at the expert and in the database. */
export async function collectFigures(input: {
  plan: SessionPlan[];
  log: DeliveryLog;
  simulatorMessages: SimMessage[];
  runs: FakeRunRecord[];
  databaseUrl: string;
  killedPids: number[];
}): Promise<DeliveryFigures> {
  const messages = input.plan.flat();
  const tags = messages.map((m) => m.tag);
  const { inbox, jobs } = await readDatabase(input.databaseUrl, tags);
  const runsByTag = groupRuns(input.runs);
  const answersByTag = groupAnswers(input.simulatorMessages);
  const killed = new Set(input.killedPids.map(String));

  let rerunsAfterCutOff = 0;
  let rerunsAfterFinishedRun = 0;
  let duplicateRuns = 0;
  const examples: string[] = [];
  for (const message of messages) {
    const before = duplicateRuns;
    const runs = [...(runsByTag.get(message.tag) ?? [])].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
    const job = jobs.get(message.tag);
    for (let i = 1; i < runs.length; i++) {
      if (runs.slice(0, i).every((earlier) => earlier.outcome === 'aborted')) rerunsAfterCutOff += 1;
      // The one re-run nothing can prevent: the replica died holding a finished run's result.
      else if (job && killedOwner(job.last_error, killed)) rerunsAfterFinishedRun += 1;
      else duplicateRuns += 1;
    }
    // A run needs an attempt of the message's one job; two streaming at once is a double claim.
    duplicateRuns += Math.max(0, runs.length - (job?.attempts ?? 0)) + overlaps(runs);
    if (duplicateRuns > before && examples.length < 10) {
      const t0 = runs[0]?.startedAt ?? 0;
      const shown = runs.map((r) => `${r.outcome}@+${(r.startedAt ?? 0) - t0}..${(r.endedAt ?? 0) - t0}ms`).join(', ');
      examples.push(`duplicate run ${message.tag}: runs [${shown}], job attempts ${job?.attempts}, last error ${job?.last_error ?? 'none'}`);
    }
  }

  const answers = messages.map((m) => answersByTag.get(m.tag) ?? []);
  const attempts = input.log.attempts;
  return {
    messages: messages.length,
    byMode: { http: messages.filter((m) => m.mode === 'http').length, stream: messages.filter((m) => m.mode === 'stream').length },
    deliveries: input.log.acked,
    duplicatesDelivered: input.log.acked - messages.length,
    failedAttempts: attempts.length - input.log.acked,
    http5xx: attempts.filter((a) => (a.kind === 'http' && typeof a.status === 'number' && a.status >= 500) || (a.kind === 'stream' && typeof a.code === 'number' && a.code >= 500)).length,
    inboxRows: tags.filter((tag) => inbox.has(tag)).length,
    reclaimedFromKilled: [...jobs.values()].filter((j) => killedOwner(j.last_error, killed)).length,
    jobs: jobs.size,
    jobsDone: [...jobs.values()].filter((j) => j.status === 'done').length,
    expertRuns: tags.reduce((sum, tag) => sum + (runsByTag.get(tag)?.length ?? 0), 0),
    rerunsAfterCutOff,
    rerunsAfterFinishedRun,
    duplicateRuns,
    answers: answers.filter((list) => list.length > 0).length,
    duplicateAnswers: answers.reduce((sum, list) => sum + Math.max(0, list.length - 1), 0),
    closingCards: countClosingCards(input.simulatorMessages, messages),
    outOfOrder: countOutOfOrder(input.plan, answersByTag),
    lost: answers.filter((list) => list.length === 0).length,
    examples: [...examples, ...messages.filter((m, i) => answers[i].length !== 1).slice(0, 10 - examples.length).map((m) => `${m.tag}: ${answersByTag.get(m.tag)?.length ?? 0} answers`)],
  };
}

/** The one machine-readable line per scenario in figures.txt. */
export function scenarioLine(name: string, f: { messages: number; lost: number; duplicateAnswers: number; duplicateRuns: number; http5xx: number }): string {
  return `scenario=${name} sent=${f.messages} lost=${f.lost} duplicate_answers=${f.duplicateAnswers} duplicate_runs=${f.duplicateRuns} http_5xx=${f.http5xx}`;
}

export function formatFigures(title: string, f: DeliveryFigures, notes: string[] = [], fiveXxNote = ''): string {
  const rows: [string, string][] = [
    ['messages', `${f.messages} (HTTP mode ${f.byMode.http}, Stream mode ${f.byMode.stream})`],
    ['deliveries acknowledged', `${f.deliveries} (duplicates delivered ${f.duplicatesDelivered}; unacknowledged attempts ${f.failedAttempts})`],
    ['inbox rows / jobs', `${f.inboxRows} / ${f.jobs} (done ${f.jobsDone}; taken back from a killed replica ${f.reclaimedFromKilled})`],
    ['expert runs', `${f.expertRuns} (re-runs after a run was cut off mid-stream: ${f.rerunsAfterCutOff}; after a finished run whose replica was killed before recording it: ${f.rerunsAfterFinishedRun})`],
    ['duplicate runs', String(f.duplicateRuns)],
    ['answers at the simulator', `${f.answers} (duplicate answers ${f.duplicateAnswers}, closing cards ${f.closingCards}, out of order ${f.outOfOrder})`],
    ['lost', String(f.lost)],
    ['5xx', `${f.http5xx}${fiveXxNote}`],
  ];
  return [`reliability: ${title}`, ...rows.map(([k, v]) => `  ${k.padEnd(26)} ${v}`), ...notes.map((n) => `  ${n}`), ...f.examples.map((e) => `  ! ${e}`)].join('\n');
}

async function readDatabase(url: string, tags: string[]): Promise<{ inbox: Set<string>; jobs: Map<string, JobRow> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const inbox = await client.query<{ event_id: string }>('SELECT event_id FROM plugin_dingtalk_inbox WHERE event_id = ANY($1)', [tags]);
    const jobs = await client.query<JobRow>(
      `SELECT payload->'event'->>'eventId' AS event_id, status, attempts, last_error
         FROM plugin_dingtalk_handoff WHERE kind = 'message' AND payload->'event'->>'eventId' = ANY($1)`,
      [tags],
    );
    const byTag = new Map<string, JobRow>();
    // A second job for one message would be a broken dedupe: keep the count honest by key collision.
    for (const row of jobs.rows) byTag.set(byTag.has(row.event_id) ? `${row.event_id}#dup${byTag.size}` : row.event_id, row);
    return { inbox: new Set(inbox.rows.map((r) => r.event_id)), jobs: byTag };
  } finally {
    await client.end();
  }
}

const TAG = /\[([0-9a-z]+m\d{5})\]/;

function groupRuns(runs: FakeRunRecord[]): Map<string, FakeRunRecord[]> {
  const byTag = new Map<string, FakeRunRecord[]>();
  for (const run of runs) {
    const text = (run.body as { input?: { input?: { input?: unknown } } })?.input?.input?.input;
    const tag = typeof text === 'string' ? TAG.exec(text)?.[1] : undefined;
    if (tag && run.kind === 'send') byTag.set(tag, [...(byTag.get(tag) ?? []), run]);
  }
  return byTag;
}

/** Answers the user sees: the demo expert's echo, which quotes the message it answers. */
function groupAnswers(messages: SimMessage[]): Map<string, SimMessage[]> {
  const byTag = new Map<string, SimMessage[]>();
  for (const message of messages) {
    const tag = quotedTag(message);
    if (tag && message.status !== 'recalled') byTag.set(tag, [...(byTag.get(tag) ?? []), message]);
  }
  return byTag;
}

/** Every answered turn ends with one "End conversation" link (in the answer card); count those in this run's chats. */
function countClosingCards(messages: SimMessage[], planned: PlannedMessage[]): number {
  const targets = new Set(planned.map((m) => m.conversationId ?? m.senderStaffId));
  return messages.filter((m) => targets.has(String((m.target as { id?: unknown })?.id)) && JSON.stringify(m.content).includes('dingtalk%3Aend')).length;
}

/** Answers of one session must come in the order its messages were sent (per-session FIFO). */
function countOutOfOrder(plan: SessionPlan[], answersByTag: Map<string, SimMessage[]>): number {
  let outOfOrder = 0;
  for (const session of plan) {
    let last = -Infinity;
    for (const message of session) {
      const at = answersByTag.get(message.tag)?.[0]?.sentAt;
      if (at === undefined) continue;
      if (at < last) outOfOrder += 1;
      last = Math.max(last, at);
    }
  }
  return outOfOrder;
}

function killedOwner(lastError: string | null, killedPids: Set<string>): boolean {
  const pid = /lease expired while running on [^:]*:(\d+):/.exec(lastError ?? '')?.[1];
  return pid !== undefined && killedPids.has(pid);
}

/** Two runs of one message streaming at the same time can only be a double claim. */
function overlaps(runs: FakeRunRecord[]): number {
  let count = 0;
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const [a, b] = [runs[i], runs[j]];
      if ((a.startedAt ?? 0) < (b.endedAt ?? Infinity) && (b.startedAt ?? 0) < (a.endedAt ?? Infinity)) count += 1;
    }
  }
  return count;
}
