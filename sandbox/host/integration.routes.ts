import { Body, Controller, Delete, HttpCode, HttpStatus, Inject, InternalServerErrorException, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { HostIntegrations, type IntegrationInput, type IntegrationRow } from './host-integrations';

export const HOST_INTEGRATIONS = Symbol('harness.host-integrations');

/**
 * The 3.17 host's `/api/integration` routes that reach the plugin (`integration.controller.ts`):
 * Test, create, update and delete. Authenticated by the global guard like every host route.
 */
@Controller('integration')
export class HostIntegrationController {
  constructor(@Inject(HOST_INTEGRATIONS) private readonly integrations: HostIntegrations) {}

  @Post('test')
  @HttpCode(HttpStatus.CREATED)
  async test(@Body() integration: Partial<IntegrationRow>) {
    try {
      return await this.integrations.test(integration ?? {});
    } catch (error) {
      // As the host: any failure is a 500 whose body is the error itself.
      throw new InternalServerErrorException(error);
    }
  }

  @Post()
  @HttpCode(HttpStatus.CREATED)
  create(@Body() entity: IntegrationInput) {
    return this.integrations.create({ ...entity, id: undefined });
  }

  @Put(':id')
  @HttpCode(HttpStatus.ACCEPTED)
  update(@Param('id', ParseUUIDPipe) id: string, @Body() entity: Partial<IntegrationInput>) {
    return this.integrations.update(id, entity && typeof entity === 'object' && !Array.isArray(entity) ? entity : {});
  }

  @Delete(':id')
  @HttpCode(HttpStatus.ACCEPTED)
  remove(@Param('id', ParseUUIDPipe) id: string) {
    return this.integrations.remove(id);
  }
}
