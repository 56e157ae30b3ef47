import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

@Controller('bare')
class BareController {
  /** Parses the same JSON body and answers, with no verification and no storage: the floor. */
  @Post()
  @HttpCode(200)
  receive(@Body() body: unknown) {
    return { ok: typeof body === 'object' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

export async function startBareEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: false, bodyParser: false });
  app.useBodyParser('json', { limit: '50mb' });
  app.setGlobalPrefix('api');
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/api/bare`, close: () => app.close() };
}
