/**
 * The plugin's persistence layer: its own DataSource on the host's database, versioned migrations,
 * and SQL repositories. All SQL of the plugin lives under this folder.
 */
export * from './access.repository';
export * from './action-use.repository';
export * from './aggregate.repository';
export * from './app-budget.repository';
export * from './card-route.repository';
export * from '../kernel/backoff';
export * from '../kernel/clock';
export * from './conversation-binding.repository';
export * from './data-source.factory';
export * from './database';
export * from './database-availability';
export * from './entities';
export * from './fifo-mutex';
export * from './handoff.enqueue';
export * from './handoff.repository';
export * from './handoff.types';
export * from './inbox.repository';
export * from './inbox.types';
export * from './inbox.group-commit';
export * from '../kernel/logger';
export * from './migrations';
export * from './migrator';
export * from './outbox.repository';
export * from './pool-guard';
export * from './queue-lifecycle.repository';
export * from './run-stop.repository';
export * from './channel-listener';
export * from './trigger-binding.repository';
export * from './legacy-tables';
export * from './legacy-sessions';
export * from './dispatch-run.repository';
