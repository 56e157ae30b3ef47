import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process as a member of the replicas sharing an app's budget and as the owner of the cards it
 * streams. Unique per process start, so a restarted replica is a new member (its old self is dead).
 */
export const PROCESS_REPLICA_ID = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
