import { Body, Controller, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { DingTalkErrorFilter } from '../http/error.filter';
import { IntegrationFormValue, IntegrationTestService } from './integration-test.service';

/** The 3.7 UI's Test button posts the whole integration form to `/api/<provider>/test`. */
@Controller('dingtalk')
@UseFilters(DingTalkErrorFilter)
export class IntegrationTestController {
  constructor(private readonly service: IntegrationTestService) {}

  @Post('test')
  @HttpCode(200)
  test(@Body() body: IntegrationFormValue, @Req() request: Request) {
    return this.service.test(body ?? {}, requestOrigin(request));
  }
}

export function requestOrigin(request: Request): string | undefined {
  const host = request.get('x-forwarded-host') ?? request.get('host');
  if (!host) return undefined;
  const proto = (request.get('x-forwarded-proto') ?? request.protocol ?? 'http').split(',')[0].trim();
  return `${proto}://${host}`;
}
