import type { Notification, Pool, PoolClient } from 'pg';
import { backoffCap } from '../kernel/backoff';
import { silentLogger, type PersistenceLogger } from '../kernel/logger';
import type { Database } from './database';
import { invalidArgument } from './invalid-argument';
import { isErrorLike } from './sql-values';

export type ChannelListenerState = 'idle' | 'connecting' | 'listening' | 'reconnecting' | 'local' | 'closed';

export interface ChannelListenerOptions {
  /** The plugin's database; an open that fails counts as a failed connection and is tried again. */
  database: () => Promise<Database>;
  /** A plain lower-case identifier (it is written into the LISTEN statement). */
  channel: string;
  onMessage: (payload: string) => void;
  /**
   * After every LISTEN that took effect, the first and each one after a reconnect: whatever was
   * announced while nobody listened here is looked up now.
   */
  onListening?: () => void;
  logger?: PersistenceLogger;
  /** Pauses between reconnects (no jitter: a handful of replicas, each with one listener). */
  retry?: { baseMs: number; maxMs: number };
  /** Runs `fn` after `ms`; returns a cancel. Real timers by default; tests step it by hand. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

const DEFAULT_RETRY = { baseMs: 500, maxMs: 5_000 };

/**
 * LISTEN on one channel over a connection of the plugin's own pool, held for as long as the
 * listener lives, and taken again after it broke (a database restart, a failover). An outage is one
 * warn line when the connection goes and one line when it is back; the attempts in between log at
 * debug. An embedded database (PGlite: one process, no pg pool) has nobody to hear from: the
 * listener then stays `local` and does nothing.
 *
 * The held connection must be given back before the pool ends, so `close()` belongs in a shutdown
 * phase before the database closes.
 */
export class ChannelListener {
  private current: ChannelListenerState = 'idle';
  private client?: PoolClient;
  private detach?: () => void;
  private attempts = 0;
  private outage = false;
  private cancelRetry?: () => void;
  private connecting?: Promise<void>;
  private readonly logger: PersistenceLogger;

  constructor(private readonly options: ChannelListenerOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw invalidArgument(`channel must be a plain lower-case identifier, got "${options.channel}"`);
    this.logger = options.logger ?? silentLogger;
  }

  get state(): ChannelListenerState {
    return this.current;
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.connectNow();
  }

  /** Stops reconnecting and gives the connection back (destroyed: its LISTEN ends with it). */
  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    await this.connecting;
    this.drop(true);
  }

  private connectNow(): void {
    this.current = this.outage ? 'reconnecting' : 'connecting';
    const connecting = this.connect().finally(() => {
      if (this.connecting === connecting) this.connecting = undefined;
    });
    this.connecting = connecting;
  }

  private async connect(): Promise<void> {
    let client: PoolClient | undefined;
    let held = false;
    try {
      const database = await this.options.database();
      if (this.closed) return;
      const pool = pgPoolOf(database);
      if (!pool) {
        this.current = 'local';
        this.logger.debug(`channel ${this.options.channel}: embedded database, one process; nothing to listen for`);
        return;
      }
      client = await pool.connect();
      if (this.closed) {
        client.release(true);
        return;
      }
      this.hold(client);
      held = true;
      await client.query(`LISTEN ${this.options.channel}`);
      if (this.closed) return;
      if (this.outage) this.logger.log(`channel ${this.options.channel}: listening again after ${this.attempts} failure(s)`);
      this.attempts = 0;
      this.outage = false;
      this.current = 'listening';
      this.options.onListening?.();
    } catch (error) {
      if (held) {
        // The connection's own 'error' may have come first and already scheduled the next attempt.
        if (this.client !== client) return;
        this.drop(error);
      } else {
        client?.release(true);
      }
      if (!this.closed) this.failed(error);
    }
  }

  private hold(client: PoolClient): void {
    const onNotification = (message: Notification) => {
      if (message.channel === this.options.channel && typeof message.payload === 'string') this.options.onMessage(message.payload);
    };
    const onLost = (error?: unknown) => {
      if (this.client !== client) return;
      this.drop(error ?? true);
      if (!this.closed) this.failed(error ?? new Error('connection ended'));
    };
    const onEnd = () => onLost();
    client.on('notification', onNotification);
    client.on('error', onLost);
    client.on('end', onEnd);
    this.client = client;
    this.detach = () => {
      client.off('notification', onNotification);
      client.off('error', onLost);
      client.off('end', onEnd);
    };
  }

  /** Lets go of the held connection; the pool destroys it (`release` with a reason). */
  private drop(reason: unknown): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.detach?.();
    this.detach = undefined;
    // The pool guard's standing 'error' listener stays on it, so a late error cannot escape.
    client.release(reason instanceof Error ? reason : true);
  }

  private failed(error: unknown): void {
    this.attempts += 1;
    const reason = isErrorLike(error) ? error.message : String(error);
    if (!this.outage) {
      this.outage = true;
      this.logger.warn(`channel ${this.options.channel}: not listening (code=dingtalk_database_unavailable: ${reason}); reconnecting in the background`);
    } else {
      this.logger.debug(`channel ${this.options.channel}: reconnect attempt ${this.attempts} failed: ${reason}`);
    }
    this.current = 'reconnecting';
    const delay = backoffCap(this.attempts, this.options.retry ?? DEFAULT_RETRY);
    const schedule = this.options.schedule ?? realTimer;
    this.cancelRetry = schedule(() => {
      this.cancelRetry = undefined;
      if (!this.closed) this.connectNow();
    }, delay);
  }

  private get closed(): boolean {
    return this.current === 'closed';
  }
}

/** The pg pool under the plugin's DataSource, or undefined for an embedded single session. */
function pgPoolOf(database: Database): Pool | undefined {
  if (database.serial) return undefined;
  const pool = (database.dataSource.driver as { master?: unknown }).master as Pool | undefined;
  return pool && typeof pool.connect === 'function' ? pool : undefined;
}

function realTimer(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  // Reconnecting alone must never keep the process alive.
  timer.unref();
  return () => clearTimeout(timer);
}
