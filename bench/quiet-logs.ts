import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { format } from 'node:util';

/**
 * Keeps stdout for the report while the sandbox runs. The sandbox starts Nest with log level `log`
 * (it is a dev server), and the dingtalk-stream SDK prints "connect success" with console.info.
 * Both would interleave with the tables; warnings and errors go to stderr instead, the rest is dropped.
 *
 * A LoggerService installed as Nest's static logger stays in place when NestFactory later applies
 * its level list (that only calls our setLogLevels, which ignores it). Returns the undo.
 */
export function quietLogs(): () => void {
  const nest = Logger as unknown as { staticInstanceRef?: LoggerService };
  const previousNest = nest.staticInstanceRef;
  Logger.overrideLogger(new StderrWarnings());
  /* eslint-disable no-console -- this silences console output, it does not log */
  const { info, log } = console;
  console.info = () => undefined;
  console.log = () => undefined;
  return () => {
    if (previousNest) Logger.overrideLogger(previousNest);
    console.info = info;
    console.log = log;
  };
  /* eslint-enable no-console */
}

class StderrWarnings implements LoggerService {
  log(): void {}
  debug(): void {}
  verbose(): void {}
  warn(message: unknown, ...rest: unknown[]): void {
    write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    write('fatal', message, rest);
  }
  setLogLevels(_levels: LogLevel[]): void {}
}

/** Nest passes the context as the last argument. */
function write(level: string, message: unknown, rest: unknown[]): void {
  const context = rest.length > 0 ? `[${String(rest[rest.length - 1])}] ` : '';
  process.stderr.write(`${level} ${context}${format(message, ...rest.slice(0, -1))}\n`);
}
