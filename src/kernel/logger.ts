/**
 * The logger the persistence layer writes to. Nest's `Logger` fits this shape, so the plugin module
 * can pass its own. SQL parameters never reach it: they may carry message bodies (P17).
 */
export interface PersistenceLogger {
  debug(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Used when the caller gives no logger: persistence stays silent rather than writing to stdout. */
export const silentLogger: PersistenceLogger = {
  debug: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
