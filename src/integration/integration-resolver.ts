import { Inject, Injectable, Optional } from '@nestjs/common';
import type { DingTalkIntegration, DingTalkIntegrationOptions, IntegrationRecord } from '../kernel/integration';
import { parseIntegrationOptions } from '../config/integration.schema';
import type { PluginConfig } from '../config/plugin-config';
import { DingTalkError } from '../kernel/errors';
import { IntegrationRecords } from '../host/integration-records.port';
import { DINGTALK_CLOCK, DINGTALK_PLUGIN_CONFIG, isDingTalkProvider, PROVIDER_NAME, PROVIDER_NAMES } from '../kernel/tokens';
import { IntegrationRecordCache } from './integration-record.cache';

/**
 * Finds a DingTalk integration by id, with coded errors for the webhook edge (404 / 409).
 * Records read are kept for `integrationCacheMs` (IntegrationRecordCache); the plugin's own save and
 * delete hooks drop them at once. Without a plugin config (tests building it by hand) nothing is kept.
 * The last record read (by a webhook or by the Stream sync's listing) is remembered, for when the
 * host's database cannot be read: an HTTP callback can then still be verified and spooled during an
 * outage.
 */
@Injectable()
export class IntegrationResolver {
  /**
   * Integrations the host is deleting on this process (3.17 calls onDelete just before it removes
   * the record): treated as gone from that moment, so no webhook or sync revives them meanwhile.
   */
  private readonly deleting = new Set<string>();
  /**
   * Reads of the host's integration table in flight, by id. Every webhook needs its integration
   * before it can check the signature; under a burst for one bot, each request reading the row on
   * its own queued them on the host's pool. A request that arrives while a read of the same row is
   * in flight shares that read: what it sees is the row as of a moment before it arrived.
   */
  private readonly reading = new Map<string, ReturnType<IntegrationRecords['get']>>();
  private readonly lastKnown = new Map<string, IntegrationRecord<Record<string, unknown>>>();
  private readonly cache: IntegrationRecordCache;

  constructor(
    private readonly records: IntegrationRecords,
    @Optional() @Inject(DINGTALK_PLUGIN_CONFIG) config?: Pick<PluginConfig, 'integrationCacheMs'>,
    @Optional() @Inject(DINGTALK_CLOCK) now: () => number = Date.now,
  ) {
    this.cache = new IntegrationRecordCache(config?.integrationCacheMs ?? 0, now);
  }

  markDeleted(integrationId: string): void {
    this.deleting.add(integrationId);
    this.lastKnown.delete(integrationId);
    this.cache.forget(integrationId);
  }

  /** Saved (an update, or again after a failed delete): it counts as present, with what the host is about to write. */
  markSaved(integrationId: string): void {
    this.deleting.delete(integrationId);
    this.cache.forget(integrationId);
  }

  async resolve(integrationId: string): Promise<DingTalkIntegration> {
    let record: IntegrationRecord<Record<string, unknown>> | null;
    try {
      record = this.deleting.has(integrationId) ? null : await this.read(integrationId);
    } catch (error) {
      // The database is away: a webhook can still be verified with the record last read here.
      const known = this.lastKnown.get(integrationId);
      if (!known) throw error;
      record = known;
    }
    if (record) this.lastKnown.set(integrationId, record);
    else this.lastKnown.delete(integrationId);
    if (!record) {
      throw new DingTalkError('dingtalk_integration_not_found', 'No integration with this id; copy the callback URL again from the integration page.', 404);
    }
    if (!isDingTalkProvider(record.provider)) {
      throw new DingTalkError('dingtalk_integration_provider_mismatch', `Integration is of provider '${record.provider}', not '${PROVIDER_NAME}'.`, 409);
    }
    let options: DingTalkIntegrationOptions;
    try {
      options = parseIntegrationOptions(record.options, record.provider);
    } catch (error) {
      const details = error instanceof DingTalkError ? error.details : undefined;
      throw new DingTalkError('dingtalk_integration_misconfigured', 'The DingTalk integration settings are incomplete; open the integration, fix the highlighted fields and click Test.', 409, details);
    }
    return { ...record, options };
  }

  private read(integrationId: string): ReturnType<IntegrationRecords['get']> {
    const cached = this.cache.get(integrationId);
    if (cached) return Promise.resolve(cached);
    let pending = this.reading.get(integrationId);
    if (!pending) {
      const readAt = this.cache.clock();
      pending = this.records
        .get(integrationId)
        .then((record) => {
          this.cache.put(integrationId, record, readAt);
          return record;
        })
        .finally(() => this.reading.delete(integrationId));
      this.reading.set(integrationId, pending);
    }
    return pending;
  }

  /** Every DingTalk integration with valid settings; broken ones are skipped (and reported by Test). */
  async listValid(): Promise<DingTalkIntegration[]> {
    // Both providers: 0.0.9 stored its Stream-mode integrations under `dingtalk_long`.
    const readAt = this.cache.clock();
    const records = (await Promise.all(PROVIDER_NAMES.map((provider) => this.records.listByProvider(provider)))).flat();
    const valid: DingTalkIntegration[] = [];
    const listed = new Set(records.map((record) => record.id));
    for (const id of [...this.lastKnown.keys()]) if (!listed.has(id)) this.lastKnown.delete(id);
    this.cache.retain(listed);
    for (const record of records) {
      if (this.deleting.has(record.id)) continue;
      // The periodic sync (and the one at boot) also keeps the fallback for an outage warm: a replica
      // that restarted has not resolved any webhook yet, and DingTalk will not resend what it refuses.
      this.lastKnown.set(record.id, record);
      this.cache.put(record.id, record, readAt);
      try {
        valid.push({ ...record, options: parseIntegrationOptions(record.options, record.provider) });
      } catch {
        // skipped on purpose: a half-filled integration must not stop the others.
      }
    }
    return valid;
  }
}
