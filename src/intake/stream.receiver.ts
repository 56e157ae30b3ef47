import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import type { DingTalkIntegrationOptions } from '../kernel/integration';
import type { PluginConfig } from '../config/plugin-config';
import { parseCardCallback, parseRobotMessage, parseStreamEvent } from '../dingtalk/inbound';
import { DingTalkStreamConnection, type StreamStatus } from '../dingtalk/stream';
import { IntegrationTestListener } from '../integration/integration-test.service';
import type { StreamConnections } from '../integration/stream-connections.port';
import type { IntegrationTestProbe } from '../host/host-317.types';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG } from '../kernel/tokens';
import { cardNoticeResponse } from './card-click-gate';
import { IntakeService } from './intake.service';
import { IntegrationResolver } from '../integration/integration-resolver';
import { DingTalkIntegration } from '../kernel/integration';
import { runInIntegrationContext } from './request-context';
import { TaskLoop } from '../kernel/task-loop';

/**
 * After a create, when to look for the new record: the host writes it right after validation, so the
 * first look usually finds it; the later ones cover a slow host transaction.
 */
const NEW_INTEGRATION_SYNC_DELAYS_MS = [500, 2_000, 8_000];

interface Running {
  connection: DingTalkStreamConnection;
  fingerprint: string;
  /** New for every connection object, so an admin can see that a saved change reconnected. */
  connectionId: string;
}

export type StreamConnectionStatus = StreamStatus & { connectionId: string };

/**
 * One Stream connection per stream-mode integration. Frames go through the same intake as HTTP
 * callbacks; the wrapper ACKs a frame only after `intake.accept` resolved, i.e. after the commit.
 * Connections follow the host's integration records: started at boot, re-synced periodically and
 * whenever an admin clicks Test (the 3.7 host tells plugins nothing when an integration changes).
 * A 3.17 host calls the integration strategy's onUpdate/onDelete, which land in `apply`/`close`.
 */
@Injectable()
export class StreamReceiver extends IntegrationTestListener implements StreamConnections, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DingTalkStream');
  private readonly running = new Map<string, Running>();
  private readonly syncing = new TaskLoop<void>(() => this.reconcile().catch((error) => this.logger.warn(`stream sync failed: ${(error as Error).message}`)));
  private readonly followUps = new Set<NodeJS.Timeout>();

  constructor(
    private readonly integrations: IntegrationResolver,
    private readonly intake: IntakeService,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() @Inject(DINGTALK_CLOCK) private readonly now: () => number = Date.now,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    // Never awaited: a slow or failing DingTalk must not hold up the server start.
    void this.sync();
    if (this.config.reconcileIntervalMs > 0) this.syncing.every(this.config.reconcileIntervalMs, () => void this.sync());
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.followUps) clearTimeout(timer);
    this.followUps.clear();
    await this.syncing.stop();
    await Promise.all([...this.running.values()].map((r) => r.connection.stop().catch(() => undefined)));
    this.running.clear();
  }

  status(integrationId: string): StreamConnectionStatus | undefined {
    const running = this.running.get(integrationId);
    return running ? { ...running.connection.status(), connectionId: running.connectionId } : undefined;
  }

  statuses(): Record<string, StreamConnectionStatus> {
    return Object.fromEntries([...this.running.entries()].map(([id, r]) => [id, { ...r.connection.status(), connectionId: r.connectionId }]));
  }

  /**
   * The Test checklist's probe: the live connection's state, but only if it runs with the settings
   * under test; otherwise those settings have no connection yet (they connect once saved).
   */
  probe(integrationId: string | undefined, options: DingTalkIntegrationOptions): IntegrationTestProbe | undefined {
    if (options.mode !== 'stream') return undefined;
    const checkedAt = this.now();
    const running = integrationId ? this.running.get(integrationId) : undefined;
    if (!running || running.fingerprint !== fingerprintOf(options)) {
      return { connected: false, state: running ? 'pending-save' : 'not-started', lastError: null, checkedAt };
    }
    const status = running.connection.status();
    return { connected: status.state === 'connected', state: status.state, lastError: status.lastError ?? null, checkedAt };
  }

  /**
   * A saved change (the host's onUpdate, called before it writes the record, so the settings come
   * from the call and not from the table): reconnect with the new credentials, or close the
   * connection if the integration no longer runs in Stream mode.
   */
  async apply(integration: DingTalkIntegration | null, integrationId: string): Promise<void> {
    if (this.syncing.stopped) return;
    await this.syncing.settled();
    const current = this.running.get(integrationId);
    if (!integration || integration.options.mode !== 'stream') {
      if (current) await this.stop(integrationId, current);
      return;
    }
    const fingerprint = fingerprintOf(integration.options);
    if (current?.fingerprint === fingerprint) return;
    if (current) await this.stop(integrationId, current);
    this.start(integration, fingerprint);
  }

  expectNewIntegration(): void {
    if (this.syncing.stopped) return;
    for (const delay of NEW_INTEGRATION_SYNC_DELAYS_MS) {
      const timer = setTimeout(() => {
        this.followUps.delete(timer);
        void this.sync();
      }, delay);
      timer.unref();
      this.followUps.add(timer);
    }
  }

  /** The integration is being deleted: close its connection now. */
  async close(integrationId: string): Promise<void> {
    await this.syncing.settled();
    const current = this.running.get(integrationId);
    if (current) await this.stop(integrationId, current);
  }

  /** Test button: (re)connect with the tested settings and report how that went. */
  async onIntegrationTested(integrationId: string, _options: DingTalkIntegrationOptions): Promise<Record<string, unknown> | void> {
    await this.sync();
    const status = this.status(integrationId);
    return status ? { stream: status } : undefined;
  }

  /** Brings the running connections in line with the integration records; one sync at a time. */
  sync(): Promise<void> {
    return this.syncing.run() ?? Promise.resolve();
  }

  private async reconcile(): Promise<void> {
    const wanted = (await this.integrations.listValid()).filter((i) => i.options.mode === 'stream');
    const wantedIds = new Set(wanted.map((i) => i.id));
    for (const [id, running] of this.running) {
      if (!wantedIds.has(id)) await this.stop(id, running);
    }
    for (const integration of wanted) {
      const fingerprint = fingerprintOf(integration.options);
      const current = this.running.get(integration.id);
      if (current?.fingerprint === fingerprint) continue;
      if (current) await this.stop(integration.id, current);
      this.start(integration, fingerprint);
    }
  }

  private start(integration: DingTalkIntegration, fingerprint: string): void {
    const { options } = integration;
    const accept = (event: Parameters<IntakeService['accept']>[1]) =>
      runInIntegrationContext(integration, () => this.intake.accept(integration, event)).then(() => undefined);
    const connection = new DingTalkStreamConnection({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      gatewayUrl: this.config.streamGatewayUrl,
      logger: this.logger,
      onRobotMessage: (data) => accept(parseRobotMessage(data)),
      onCardCallback: (data) =>
        runInIntegrationContext(integration, () => this.intake.accept(integration, parseCardCallback(data))).then((outcome) =>
          outcome.status === 'ignored' && outcome.reason === 'not_asker' ? cardNoticeResponse(outcome.notice) : undefined,
        ),
      onEvent: (headers, data) => accept(parseStreamEvent(headers, data)),
    });
    this.running.set(integration.id, { connection, fingerprint, connectionId: randomUUID() });
    this.logger.log(`stream connection starting for integration ${integration.id}`);
    connection.start().catch((error) => this.logger.warn(`stream connection for ${integration.id} failed to start: ${(error as Error).message}`));
  }

  private async stop(id: string, running: Running): Promise<void> {
    this.running.delete(id);
    await running.connection.stop().catch(() => undefined);
  }
}

function fingerprintOf(options: DingTalkIntegrationOptions): string {
  return createHash('sha256').update(`${options.clientId}\n${options.clientSecret}`).digest('hex');
}
