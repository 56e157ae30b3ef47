/**
 * The one logger port of the plugin. Nest's `Logger` and `console` both fit, so the plugin module
 * passes its own. Message bodies, secrets and SQL parameters never reach it at info or above (P17).
 */
export interface LoggerPort {
  debug(message: string, ...meta: unknown[]): void;
  log(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  error(message: string, ...meta: unknown[]): void;
}

/** The persistence layer's name for the port. */
export type PersistenceLogger = LoggerPort;

/** Used when the caller gives no logger: stay silent rather than write to stdout. */
export const silentLogger: LoggerPort = {
  debug: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
