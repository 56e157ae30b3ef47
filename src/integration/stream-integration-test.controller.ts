import { Body, Controller, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { DingTalkErrorFilter } from '../http/error.filter';
import { STREAM_PROVIDER_NAME } from '../kernel/tokens';
import { requestOrigin } from '../http/request-origin';
import { IntegrationFormValue, IntegrationTestService } from './integration-test.service';

/** The Test button of a `dingtalk_long` record (0.0.9's Stream provider) posts to `/api/dingtalk_long/test`. */
@Controller(STREAM_PROVIDER_NAME)
@UseFilters(DingTalkErrorFilter)
export class StreamIntegrationTestController {
  constructor(private readonly service: IntegrationTestService) {}

  @Post('test')
  @HttpCode(200)
  test(@Body() body: IntegrationFormValue, @Req() request: Request) {
    return this.service.test({ ...(body ?? {}), provider: STREAM_PROVIDER_NAME }, requestOrigin(request as never));
  }
}
