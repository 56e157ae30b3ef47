import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, Global, Logger, Provider, LoggerService, LogLevel, Module, ModuleMetadata, OnModuleDestroy, OnModuleInit, Type } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule, DiscoveryService, ModuleRef, NestFactory, Reflector } from '@nestjs/core';
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
import { HANDOFF_QUEUE_SERVICE_TOKEN, INTEGRATION_PERMISSION_SERVICE_TOKEN, type PluginPermission } from '../../src/host/host-317.types';
import { HarnessHandoffQueue, type HarnessHandoffQueueOptions } from './handoff-queue';
import { HarnessUser, HostAuthGuard } from './host-auth.guard';
import { HostDatabaseOptions, openHostDatabase } from './host-database';
import { HARNESS_TENANT_ID, HostIntegrations, insertIntegration, type IntegrationHooks, type IntegrationInput } from './host-integrations';
import { HostProfile, PluginPackageJson, assertLoadablePackage, resolveHostProfile } from './host-profile';
import { HANDOFF_QUEUE_GATE, HostServices, INTEGRATION_SERVICE_GATE } from './host-services';
import { HOST_INTEGRATIONS, HostIntegrationController } from './integration.routes';
import { TriggerRepublisher, type PublishedTrigger, type TriggerPayloadHandler } from './trigger-republisher';

export { HARNESS_ORGANIZATION_ID, HARNESS_TENANT_ID, type IntegrationInput } from './host-integrations';
export type { HostProfile } from './host-profile';
export type { PublishedTrigger } from './trigger-republisher';

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
  /** Host line to play; default `XPERT_HOST_PROFILE`, else 3.7. */
  profile?: HostProfile;
  /** The plugin's package.json, for the 3.17 loader checks; by default this repository's. */
  pluginPackage?: PluginPackageJson;
  /** Registers host services (`services.provide(token, impl, gate)`) before the plugin loads. */
  services?: (services: HostServices) => void;
  /**
   * What the host does with a trigger callback payload. Default: on 3.17 a `handoffMessage` goes to
   * the handoff queue service when one is provided; anything else is discarded, as on both lines.
   */
  onTriggerPayload?: TriggerPayloadHandler;
  /** Runs on the host database before the plugin boots (e.g. tables an earlier plugin version left). */
  beforeBoot?: (hostDataSource: DataSource) => Promise<void>;
  /**
   * Offer the host's handoff queue: `ctx.resolve('XPERT_HANDOFF_QUEUE_SERVICE')` returns it, its
   * processors are discovered at boot, and it executes `agent.chat_dispatch.v1` itself. On by default
   * on the 3.17 profile (as on a 3.17 server); `true` offers it on 3.7 too (tests of the dispatch path).
   */
  handoffQueue?: boolean | HarnessHandoffQueueOptions;
}

export interface HostHarness {
  app: NestExpressApplication;
  /** Origin the host listens on, e.g. http://127.0.0.1:3000 (routes live under /api). */
  url: string;
  hostDataSource: DataSource;
  user: HarnessUser;
  /** `Authorization` header value of a logged-in host user. */
  authorization: string;
  /** The bearer token inside `authorization`, for scripts that call authenticated routes. */
  adminToken: string;
  profile: HostProfile;
  /** Host services the plugin may resolve (3.17); add more with `provide`. */
  services: HostServices;
  /**
   * What the host does when an expert is published with these triggers: on 3.17 the diff against
   * the last publish (stop removed/changed, then publish changed/added, each awaited); on 3.7 every
   * trigger's publish, unawaited, and never a stop.
   */
  publishXpert(xpertId: string, triggers: PublishedTrigger[]): Promise<void>;
  addIntegration(input: IntegrationInput): Promise<string>;
  updateIntegration(id: string, options: Record<string, unknown>): Promise<void>;
  removeIntegration(id: string): Promise<void>;
  get<T>(token: Type<T> | string | symbol): T;
  /** The host's handoff queue, when the harness offers one (`handoffQueue` option). */
  handoffQueue?: HarnessHandoffQueue;
  close(): Promise<void>;
}

const JWT_SECRET = 'harness-jwt-secret';

/**
 * Boots a Nest app that treats the plugin the way an Xpert server of the chosen line does: the
 * global `/api` prefix and auth guard, DiscoveryModule with the SDK's StrategyBus and registries,
 * the host TypeORM DataSource, and `plugin.register(ctx)`. On 3.7 ctx.resolve throws; on 3.17 the
 * loader checks package.json first, ctx.resolve is gated by the plugin's `permissions`, and the
 * `/api/integration` routes validate every save and call the strategy's hooks.
 */
export async function startHost(options: HostHarnessOptions = {}): Promise<HostHarness> {
  const profile = resolveHostProfile(options.profile, '3.7');
  const plugin = options.plugin ?? (await import('../../src/index')).default;
  if (profile === '3.17') assertLoadablePackage(options.pluginPackage ?? (options.plugin ? {} : readOwnPackage()));
  const hostDataSource = await openHostDatabase(options.database ?? {});
  for (const integration of options.integrations ?? []) await insertIntegration(hostDataSource, integration);
  await options.beforeBoot?.(hostDataSource);
  const user: HarnessUser = { id: randomUUID(), tenantId: HARNESS_TENANT_ID, email: 'admin@example.com', password: 'admin', preferredLanguage: 'en' };

  const appRef: { app?: NestExpressApplication } = {};
  const strategyFor = (provider: string): IntegrationHooks | null => {
    try {
      return (appRef.app?.get(IntegrationStrategyRegistry, { strict: false }).get(provider, 'global') as IntegrationHooks | undefined) ?? null;
    } catch {
      return null;
    }
  };
  const integrations = new HostIntegrations(hostDataSource, profile, strategyFor);
  const services = new HostServices();
  services.provide(INTEGRATION_PERMISSION_SERVICE_TOKEN, { read: (id: string) => integrations.read(id), findAll: (o?: { where?: { provider?: string } }) => integrations.findAll(o?.where) }, INTEGRATION_SERVICE_GATE);
  const queueOption = options.handoffQueue ?? profile === '3.17';
  const handoffQueue = queueOption ? new HarnessHandoffQueue(queueOption === true ? {} : queueOption) : undefined;
  if (handoffQueue) services.provide(HANDOFF_QUEUE_SERVICE_TOKEN, handoffQueue, HANDOFF_QUEUE_GATE);
  options.services?.(services);

  // Each harness gets a spool directory of its own unless told otherwise, so parallel tests do not
  // share one (a spool directory belongs to one process) nor litter the working tree.
  const pluginConfig = { ...(options.pluginConfig ?? {}) };
  const spool = (pluginConfig.spool ?? {}) as Record<string, unknown>;
  const ownSpoolDir = spool.dir === undefined && !process.env.DINGTALK_SPOOL_DIR ? mkdtempSync(join(tmpdir(), 'dingtalk-spool-')) : undefined;
  if (ownSpoolDir) pluginConfig.spool = { ...spool, dir: ownSpoolDir };
  const registered = registerPlugin(profile, plugin, pluginConfig, services, appRef);
  const pluginModule = { ...registered, providers: [...(registered.providers ?? []), ...(options.overrides ?? [])] };
  const hostExtra = profile === '3.17' ? { controllers: [HostIntegrationController], providers: [{ provide: HOST_INTEGRATIONS, useValue: integrations }] } : { controllers: [], providers: [] };
  const rootModule = buildRootModule(hostDataSource, pluginModule, user, options.extra ?? {}, hostExtra);

  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    bodyParser: false,
    logger: options.logger === undefined ? ['error', 'warn'] : options.logger,
  });
  appRef.app = app;
  handoffQueue?.discover(app.get(DiscoveryService));
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

  const adminToken = jwt.sign({ id: user.id }, JWT_SECRET);
  const republisher = new TriggerRepublisher({
    profile,
    registry: () => app.get(WorkflowTriggerRegistry, { strict: false }),
    onPayload: options.onTriggerPayload ?? defaultPayloadHandler(profile, services),
    logger: new Logger('XpertHost'),
  });

  return {
    app,
    url,
    hostDataSource,
    user,
    authorization: `Bearer ${adminToken}`,
    adminToken,
    profile,
    services,
    // The same save path as the host's routes: validated and hooked on 3.17, a plain write on 3.7.
    addIntegration: async (input) => (await integrations.create(input)).id,
    updateIntegration: async (id, integrationOptions) => {
      await integrations.update(id, { options: integrationOptions });
    },
    removeIntegration: (id) => integrations.remove(id),
    publishXpert: (xpertId, triggers) => republisher.publish(xpertId, triggers),
    get: (token) => app.get(token as never, { strict: false }),
    ...(handoffQueue ? { handoffQueue } : {}),
    close: async () => {
      handoffQueue?.close();
      await app.close();
      if (ownSpoolDir) rmSync(ownSpoolDir, { recursive: true, force: true });
      await hostDataSource.destroy().catch(() => undefined);
    },
  };
}

/** What the host's plugin loader does: merge config, validate, build ctx, register, tag. */
function registerPlugin(profile: HostProfile, plugin: XpertPlugin, input: Record<string, unknown>, services: HostServices, appRef: { app?: unknown }): DynamicModule {
  const merged = { ...(plugin.config?.defaults ?? {}), ...input };
  const parsed = plugin.config?.schema ? plugin.config.schema.safeParse(merged) : { success: true as const, data: merged };
  if (!parsed.success) throw new Error(`Plugin config invalid: ${parsed.error.message}`);
  const logger = createPluginLogger(`plugin:${plugin.meta.name}`);
  const ctx = profile === '3.17' ? context317(plugin, parsed.data, logger, services, appRef) : context37(parsed.data, logger, services);
  const mod = plugin.register(ctx as never);
  for (const target of [mod.module, ...((Reflect.getMetadata('providers', mod.module) as unknown[]) ?? [])]) {
    const type = typeof target === 'function' ? target : (target as { useClass?: unknown })?.useClass;
    if (typeof type === 'function') {
      Reflect.defineMetadata(ORGANIZATION_METADATA_KEY, 'global', type);
      Reflect.defineMetadata(PLUGIN_METADATA_KEY, plugin.meta.name, type);
    }
  }
  return mod;
}

/**
 * 3.7: `{app, logger, config, resolve}`, and resolve throws (host contract) — except for a handoff
 * queue a test asked the harness to offer on this line (`handoffQueue: true`).
 */
function context37(config: unknown, logger: unknown, services: HostServices) {
  return {
    app: {} as never,
    logger,
    config,
    resolve: (token: unknown) => {
      if (token === HANDOFF_QUEUE_SERVICE_TOKEN && services.has(token)) return services.get(token);
      throw new Error('ctx.resolve is not available on a 3.7 host');
    },
  };
}

/**
 * 3.17 (`lifecycle.ts`): `{module, config, tenantId, organizationId, scopeKey, logger, resolve}`, no
 * `app`; resolve is gated by the plugin's declared permissions and works once the app exists. A
 * system-level plugin (PLUGINS install) has no tenant or organization scope.
 */
function context317(plugin: XpertPlugin, config: unknown, logger: unknown, services: HostServices, appRef: { app?: unknown }) {
  const permissions = ((plugin as { permissions?: PluginPermission[] }).permissions ?? []) as PluginPermission[];
  const gated = services.resolverFor(plugin.meta.name, permissions);
  const ctx = {
    module: undefined as unknown,
    config,
    tenantId: null,
    organizationId: null,
    scopeKey: null,
    logger,
    resolve: (token: unknown) => {
      if (services.has(token)) return gated(token);
      if (!appRef.app) throw new Error(`Plugin '${plugin.meta.name}' context is not bound to a Nest application context yet.`);
      return (appRef.app as { get(token: unknown, options: { strict: boolean }): unknown }).get(token, { strict: false });
    },
  };
  Object.defineProperty(ctx, 'module', { enumerable: true, get: () => appRef.app });
  return ctx;
}

/** On 3.17 a `{handoffMessage}` payload goes onto the host's handoff queue; everything else is dropped. */
function defaultPayloadHandler(profile: HostProfile, services: HostServices): TriggerPayloadHandler {
  return async (_xpertId, payload) => {
    const message = (payload as { handoffMessage?: unknown } | undefined)?.handoffMessage;
    if (profile !== '3.17' || !message) return undefined;
    const queue = services.get<{ enqueue(message: unknown): Promise<unknown> }>(HANDOFF_QUEUE_SERVICE_TOKEN);
    return queue?.enqueue(message);
  };
}

function readOwnPackage(): PluginPackageJson {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as PluginPackageJson;
}

function buildRootModule(
  hostDataSource: DataSource,
  pluginModule: DynamicModule,
  user: HarnessUser,
  extra: HostHarnessOptions['extra'] & object,
  host: { controllers: Type[]; providers: Provider[] },
): Type {
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
    controllers: [...host.controllers, ...(extra.controllers ?? [])],
    providers: [
      ...host.providers,
      { provide: APP_GUARD, useFactory: (reflector: Reflector) => new HostAuthGuard(reflector, JWT_SECRET, [user]), inject: [Reflector] },
      ...(extra.providers ?? []),
    ],
  })
  class HostAppModule {}

  return HostAppModule;
}
