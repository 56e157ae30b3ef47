import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DingTalkError, type ErrorCode } from '../kernel/errors';

/**
 * Turns our coded errors into `{ statusCode, code, message }` answers. Anything unexpected becomes a
 * 500 with a generic text, so no internal detail (or secret) leaks to the caller.
 */
@Catch()
export class DingTalkErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('DingTalkPlugin');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof DingTalkError) {
      response.status(error.httpStatus).json({ statusCode: error.httpStatus, ...error.toJSON() });
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
      response.status(status).json({ statusCode: status, code: codeForStatus(status), message });
      return;
    }
    this.logger.error(`Unhandled error code=dingtalk_internal_error cause=${error instanceof Error ? error.name : typeof error}`);
    response.status(500).json({ statusCode: 500, code: 'dingtalk_internal_error', message: 'Internal error in the DingTalk plugin; see the server log.' });
  }
}

function codeForStatus(status: number): ErrorCode {
  if (status === 413) return 'dingtalk_body_too_large';
  if (status === 400) return 'dingtalk_request_invalid';
  if (status === 401 || status === 403) return 'dingtalk_unauthorized';
  if (status === 404) return 'dingtalk_not_found';
  return 'dingtalk_http_error';
}
