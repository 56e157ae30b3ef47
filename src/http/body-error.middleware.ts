import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { logValue } from '../kernel/log-value';
import { PROVIDER_NAME, STREAM_PROVIDER_NAME } from '../kernel/tokens';
import { bodyFailureOf, bytesNote } from './body-error';

/**
 * The plugin's routes live under `/api/dingtalk` and `/api/dingtalk_long` (the host's global prefix
 * is `api`; the webhook URL the integration form shows assumes the same).
 */
export const PLUGIN_ROUTE_PREFIXES = [`/api/${PROVIDER_NAME}`, `/api/${STREAM_PROVIDER_NAME}`];

/**
 * An Express error handler for the plugin's own paths, installed between the routes and Nest's
 * fallback exception handler. Body-parser failures on our paths become one line with a code and a
 * coded 4xx (nothing to answer when the caller is gone); everything else, and every other path of
 * the host, passes on untouched — a global exception filter would change the whole host's answers.
 *
 * Installed from onModuleInit: Nest registers routes before the init hooks and its own fallback
 * handler after them, so this lands in between. A host that loaded the plugin later would simply
 * keep its own handling (no error, the old behaviour).
 */
@Injectable()
export class BodyErrorMiddleware implements OnModuleInit {
  private readonly logger = new Logger('DingTalkPlugin');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || typeof adapter.use !== 'function' || adapter.getType?.() !== 'express') return;
    for (const prefix of PLUGIN_ROUTE_PREFIXES) adapter.use(prefix, this.handle);
  }

  readonly handle = (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const failure = bodyFailureOf(error);
    if (!failure) return next(error);
    const route = `${logValue(req.method, 16)} ${logValue(req.originalUrl?.split('?')[0] ?? req.url)}`;
    this.logger.warn(`request body not read code=${failure.code} ${route}${bytesNote(error)}`);
    if (failure.aborted || res.headersSent || req.socket?.destroyed) {
      // The caller is gone: drop what is left of the socket instead of writing an answer nobody reads.
      if (!res.writableEnded) res.destroy();
      return;
    }
    res.status(failure.status).json({ statusCode: failure.status, code: failure.code, message: failure.message });
  };
}
