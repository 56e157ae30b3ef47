/**
 * What this replica has seen of the database going away and coming back. The intake uses it to
 * hold the jobs of a chat for a moment after an outage: another replica may still be draining
 * earlier messages of that chat from its spool (see `settledRunAt`).
 *
 * Only outage-class failures count (no connection, the server shutting down or refusing sessions);
 * a statement PostgreSQL rejects (bad data, a constraint, a deadlock) says nothing about whether it
 * is there.
 */
export class DatabaseAvailability {
  private down = false;
  private recovered: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  noteFailure(error: unknown): void {
    if (isOutageError(error)) this.noteDown();
  }

  /** The caller decided the database cannot take its writes (the intake spooling an event). */
  noteDown(): void {
    this.down = true;
  }

  noteSuccess(): void {
    if (!this.down) return;
    this.down = false;
    this.recovered = this.now();
  }

  /** A statement failed for want of a database, and none has succeeded since. */
  get isDown(): boolean {
    return this.down;
  }

  /** When (epoch ms) the database last answered again after an outage seen here; undefined if never. */
  get recoveredAt(): number | undefined {
    return this.recovered;
  }
}

/**
 * SQLSTATE classes 08 (connection exception), 53 (insufficient resources: too many connections)
 * and 57 (operator intervention: shutdown, crash recovery, not accepting connections yet) — except
 * 57014, a statement cancelled by its own timeout. Without a SQLSTATE: a socket error (ECONNREFUSED,
 * ECONNRESET, ETIMEDOUT…), or the pool's and driver's uncoded "Connection terminated" / connect
 * timeout. Anything else — our own coded errors thrown inside a transaction, a bug — is not.
 */
export function isOutageError(error: unknown): boolean {
  const own = (error as { code?: unknown } | null)?.code;
  const driver = (error as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  const code = [own, driver].find((value): value is string => typeof value === 'string' && value !== '');
  if (code !== undefined) {
    if (/^[0-9A-Z]{5}$/.test(code)) return code !== '57014' && /^(08|53|57)/.test(code);
    return /^E[A-Z_]+$/.test(code);
  }
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return /connection|connect ETIMEDOUT|timeout exceeded when trying to connect|terminat/i.test(message);
}
