import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, Global, Provider, LoggerService, LogLevel, Module, ModuleMetadata, OnModuleDestroy, OnModuleInit, Type } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule, ModuleRef, NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  AgentMiddlewareRegistry,
  IntegrationStrategyRegistry,
  ORGANIZATION_METADATA_KEY,
  PLUGIN_METADATA_KEY,
  RequestContextMiddleware,
  StrategyBus,
  WorkflowTriggerRegistry,
  createPluginLogger,
  type XpertPlugin,
} from '@xpert-ai/plugin-sdk';
import jwt from 'jsonwebtoken';
import { DataSource } from 'typeorm';
import { HarnessUser, HostAuthGuard } from './host-auth.guard';
import { HostDatabaseOptions, openHostDatabase } from './host-database';

export interface HostHarnessOptions {
  database?: HostDatabaseOptions;
  /** Plugin config as an org install would store it; the host merges defaults and validates. */
  pluginConfig?: Record<string, unknown>;
  /** The plugin to load; by default the one in this repository. */
  plugin?: XpertPlugin;
  port?: number;
  /** Extra host-side pieces (the sandbox's page and fake Xpert API). */
  extra?: Pick<ModuleMetadata, 'controllers' | 'providers' | 'imports'>;
  logger?: LoggerService | LogLevel[] | false;
  /** Raw Express routes mounted ahead of the body parsers and the Nest routes (sandbox pages, fake APIs). */
  configure?: (app: NestExpressApplication) => void;
  /** Listen address; loopback by default. */
  hostname?: string;
  /** Integration records present before the server boots (as on a restart). */
  integrations?: IntegrationInput[];
  /** Providers that replace the plugin's own (an injected clock, a fake port) in tests. */
  overrides?: Provider[];
}

export interface IntegrationInput {
  id?: string;
  tenantId?: string | null;
  organizationId?: string | null;
  name?: string;
  provider?: string;
  options: Record<string, unknown>;
}

export interface HostHarness {
  app: NestExpressApplication;
  /** Origin the host listens on, e.g. http://127.0.0.1:3000 (routes live under /api). */
  url: string;
  hostDataSource: DataSource;
  user: HarnessUser;
  /** `Authorization` header value of a logged-in host user. */
  authorization: string;
  addIntegration(input: IntegrationInput): Promise<string>;
  updateIntegration(id: string, options: Record<string, unknown>): Promise<void>;
  removeIntegration(id: string): Promise<void>;
  get<T>(token: Type<T> | string | symbol): T;
  close(): Promise<void>;
}

export const HARNESS_TENANT_ID = '00000000-0000-4000-8000-000000000001';
export const HARNESS_ORGANIZATION_ID = '00000000-0000-4000-8000-000000000002';
const JWT_SECRET = 'harness-jwt-secret';

/**
 * Boots a Nest app that treats the plugin the way an Xpert 3.7 server does: the global `/api`
 * prefix and auth guard, DiscoveryModule with the SDK's StrategyBus and registries, the host
 * TypeORM DataSource, and `plugin.register(ctx)` with a ctx whose `resolve` throws.
 */
export async function startHost(options: HostHarnessOptions = {}): Promise<HostHarness> {
  const plugin = options.plugin ?? (await import('../../src/index')).default;
  const hostDataSource = await openHostDatabase(options.database ?? {});
  for (const integration of options.integrations ?? []) await insertIntegration(hostDataSource, integration);
  const user: HarnessUser = { id: randomUUID(), tenantId: HARNESS_TENANT_ID, email: 'admin@example.com', password: 'admin', preferredLanguage: 'en' };

  // Each harness gets a spool directory of its own unless told otherwise, so parallel tests do not
  // share one (a spool directory belongs to one process) nor litter the working tree.
  const pluginConfig = { ...(options.pluginConfig ?? {}) };
  const spool = (pluginConfig.spool ?? {}) as Record<string, unknown>;
  const ownSpoolDir = spool.dir === undefined && !process.env.DINGTALK_SPOOL_DIR ? mkdtempSync(join(tmpdir(), 'dingtalk-spool-')) : undefined;
  if (ownSpoolDir) pluginConfig.spool = { ...spool, dir: ownSpoolDir };
  const registered = registerPlugin(plugin, pluginConfig);
  const pluginModule = { ...registered, providers: [...(registered.providers ?? []), ...(options.overrides ?? [])] };
  const rootModule = buildRootModule(hostDataSource, pluginModule, user, options.extra ?? {});

  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    bodyParser: false,
    logger: options.logger === undefined ? ['error', 'warn'] : options.logger,
  });
  options.configure?.(app);
  // The host parses JSON up to 50 MB and XML as text; the plugin must enforce its own smaller limit.
  app.useBodyParser('json', { limit: '50mb' });
  app.useBodyParser('text', { type: ['text/xml', 'application/xml'], limit: '50mb' });
  app.useBodyParser('urlencoded', { extended: true, limit: '50mb' });
  app.setGlobalPrefix('api');
  const contextMiddleware = new RequestContextMiddleware();
  app.use((req: any, res: any, next: () => void) => contextMiddleware.use(req, res, next));
  app.enableShutdownHooks();
  await app.listen(options.port ?? 0, options.hostname ?? '127.0.0.1');
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.port}`;

  return {
    app,
    url,
    hostDataSource,
    user,
    authorization: `Bearer ${jwt.sign({ id: user.id }, JWT_SECRET)}`,
    addIntegration: (input) => insertIntegration(hostDataSource, input),
    updateIntegration: async (id, integrationOptions) => {
      await hostDataSource.query('UPDATE integration SET options = $2, "updatedAt" = now() WHERE id = $1', [id, JSON.stringify(integrationOptions)]);
    },
    removeIntegration: async (id) => {
      await hostDataSource.query('DELETE FROM integration WHERE id = $1', [id]);
    },
    get: (token) => app.get(token as never, { strict: false }),
    close: async () => {
      await app.close();
      if (ownSpoolDir) rmSync(ownSpoolDir, { recursive: true, force: true });
      await hostDataSource.destroy().catch(() => undefined);
    },
  };
}

/** What the host's plugin loader does: merge config, validate, build ctx, register, tag. */
function registerPlugin(plugin: XpertPlugin, input: Record<string, unknown>): DynamicModule {
  const merged = { ...(plugin.config?.defaults ?? {}), ...input };
  const parsed = plugin.config?.schema ? plugin.config.schema.safeParse(merged) : { success: true as const, data: merged };
  if (!parsed.success) throw new Error(`Plugin config invalid: ${parsed.error.message}`);
  const ctx = {
    app: {} as never,
    logger: createPluginLogger(`plugin:${plugin.meta.name}`),
    config: parsed.data,
    resolve: () => {
      throw new Error('ctx.resolve is not available on a 3.7 host');
    },
  };
  const mod = plugin.register(ctx);
  for (const target of [mod.module, ...((Reflect.getMetadata('providers', mod.module) as unknown[]) ?? [])]) {
    const type = typeof target === 'function' ? target : (target as { useClass?: unknown })?.useClass;
    if (typeof type === 'function') {
      Reflect.defineMetadata(ORGANIZATION_METADATA_KEY, 'global', type);
      Reflect.defineMetadata(PLUGIN_METADATA_KEY, plugin.meta.name, type);
    }
  }
  return mod;
}

function buildRootModule(hostDataSource: DataSource, pluginModule: DynamicModule, user: HarnessUser, extra: HostHarnessOptions['extra'] & object): Type {
  @Global()
  @Module({ providers: [{ provide: DataSource, useValue: hostDataSource }], exports: [DataSource] })
  class HostDatabaseModule {}

  @Global()
  @Module({
    imports: [DiscoveryModule],
    providers: [StrategyBus, IntegrationStrategyRegistry, WorkflowTriggerRegistry, AgentMiddlewareRegistry],
    exports: [StrategyBus, IntegrationStrategyRegistry, WorkflowTriggerRegistry, AgentMiddlewareRegistry],
  })
  class HostPluginModule implements OnModuleInit, OnModuleDestroy {
    constructor(private readonly moduleRef: ModuleRef) {}

    async onModuleInit(): Promise<void> {
      const instance = this.moduleRef.get(pluginModule.module, { strict: false }) as { onPluginBootstrap?: () => unknown };
      await instance?.onPluginBootstrap?.();
    }

    async onModuleDestroy(): Promise<void> {
      const instance = this.moduleRef.get(pluginModule.module, { strict: false }) as { onPluginDestroy?: () => unknown };
      await instance?.onPluginDestroy?.();
    }
  }

  @Module({
    imports: [HostDatabaseModule, HostPluginModule, pluginModule, ...(extra.imports ?? [])],
    controllers: [...(extra.controllers ?? [])],
    providers: [
      { provide: APP_GUARD, useFactory: (reflector: Reflector) => new HostAuthGuard(reflector, JWT_SECRET, [user]), inject: [Reflector] },
      ...(extra.providers ?? []),
    ],
  })
  class HostAppModule {}

  return HostAppModule;
}

async function insertIntegration(dataSource: DataSource, input: IntegrationInput): Promise<string> {
  const id = input.id ?? randomUUID();
  await dataSource.query(
    `INSERT INTO integration (id, "tenantId", "organizationId", name, provider, options)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET options = EXCLUDED.options, name = EXCLUDED.name, "updatedAt" = now()`,
    [id, input.tenantId ?? HARNESS_TENANT_ID, input.organizationId ?? HARNESS_ORGANIZATION_ID, input.name ?? 'DingTalk', input.provider ?? 'dingtalk', JSON.stringify(input.options)],
  );
  return id;
}
