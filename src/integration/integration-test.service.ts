import { Inject, Injectable, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { parseIntegrationOptions, withoutSecrets } from '../config/integration.schema';
import type { DingTalkIntegrationOptions } from '../kernel/integration';
import { DingTalkError } from '../kernel/errors';
import { DingTalkApiError } from '../dingtalk/client';
import type { IntegrationTestProbe, IntegrationTestResult } from '../host/host-317.types';
import { DINGTALK_PLUGIN_CONFIG, isDingTalkProvider, PROVIDER_NAME } from '../kernel/tokens';
import { ignoredKeysWarning } from './ignored-keys.warning';
import { DingTalkClientRegistry } from './client-registry';
import { probePermissions } from './integration-checklist';
import { CardRouteService, type RegisteredCardRoute } from './card-route.service';
import { IntegrationRecords } from '../host/integration-records.port';
import { assertInCallerScope } from './tenant-scope';

export interface IntegrationFormValue {
  id?: string;
  provider?: string;
  options?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Lets other parts react when an admin tests an integration, and report its live connection. */
export abstract class IntegrationTestListener {
  abstract onIntegrationTested(integrationId: string, options: DingTalkIntegrationOptions): Promise<Record<string, unknown> | void>;
  /** The connection state for these settings; undefined when the integration has none (HTTP mode). */
  abstract probe(integrationId: string | undefined, options: DingTalkIntegrationOptions): IntegrationTestProbe | undefined;
}

/**
 * The admin's checklist: the shape of the host's `IntegrationTestResult` (3.17) with nothing the
 * host would patch into the stored record. `warnings` names each thing still to fix.
 */
export interface DingTalkChecklist extends IntegrationTestResult {
  mode: 'stream' | 'http';
  cardCallback?: CardCallbackOutcome;
  warnings: string[];
  credentials: 'ok' | 'unchecked';
}

/** The 3.7 route's answer: the form without secrets, the checklist, and the older `checks` block. */
export interface IntegrationTestRouteResult extends DingTalkChecklist {
  id?: string;
  provider: string;
  options: Record<string, unknown>;
  checks: {
    credentials: 'ok' | 'unchecked';
    mode: 'stream' | 'http';
    next: string;
    connection?: Record<string, unknown>;
    warnings?: string[];
    /** HTTP mode: the card callback route registered with DingTalk, or why it could not be. */
    cardCallback?: CardCallbackOutcome;
  };
}

export type CardCallbackOutcome = RegisteredCardRoute | { error: string; message: string };

export interface ChecklistInput {
  /** Absent while the integration is not saved yet. */
  id?: string;
  /** The record's provider (`dingtalk`, or 0.0.9's Stream-only `dingtalk_long`). */
  provider?: string;
  /** Raw settings under test (the form's, never the stored ones). */
  options: unknown;
  /** Origin of the admin's request, used when no public base URL is configured. */
  origin?: string;
}

@Injectable()
export class IntegrationTestService {
  constructor(
    private readonly clients: DingTalkClientRegistry,
    @Inject(DINGTALK_PLUGIN_CONFIG) private readonly config: PluginConfig,
    @Optional() private readonly listener?: IntegrationTestListener,
    @Optional() private readonly cardRoutes?: CardRouteService,
    @Optional() private readonly records?: IntegrationRecords,
  ) {}

  /** `POST /api/dingtalk/test` (the 3.7 Test button): re-sync connections, then the checklist. */
  async test(form: IntegrationFormValue, requestOrigin?: string): Promise<IntegrationTestRouteResult> {
    this.assertProvider(form.provider);
    const options = parseIntegrationOptions(form.options, form.provider);
    // A saved integration of another tenant or organization does not exist for this caller.
    const saved = form.id && this.records ? await this.records.get(String(form.id)) : null;
    if (saved) assertInCallerScope(saved);
    // The 3.7 host tells plugins nothing on save; a Test is the moment to pick up saved changes.
    const connection = form.id && this.listener ? await this.listener.onIntegrationTested(form.id, options) : undefined;
    const checklist = await this.checklist({ id: form.id, provider: form.provider, options: form.options, origin: requestOrigin });
    return {
      ...form,
      provider: form.provider || PROVIDER_NAME,
      options: withoutSecrets(options as unknown as Record<string, unknown>),
      ...checklist,
      checks: {
        credentials: checklist.credentials,
        mode: options.mode,
        next: checklist.credentials === 'ok' ? this.nextStep(options, checklist.webhookUrl) : 'DingTalk could not be reached to check the credentials; see the warnings, then Test again.',
        ...(connection ? { connection } : {}),
        ...(checklist.cardCallback ? { cardCallback: checklist.cardCallback } : {}),
        ...ignoredKeysWarning(form.options),
      },
    };
  }

  /**
   * Static checks (throw a coded 400 naming the field), the credentials (a rejected secret throws
   * naming them; DingTalk unreachable is only a warning), then one warning per thing to fix.
   * Never holds a secret.
   */
  async checklist(input: ChecklistInput): Promise<DingTalkChecklist> {
    const options = parseIntegrationOptions(input.options, input.provider);
    const warnings: string[] = [...(ignoredKeysWarning(input.options).warnings ?? [])];
    const client = this.clients.create(options, { maxRetries: 0 });
    const reachable = await this.checkCredentials(client, warnings);
    if (reachable) warnings.push(...(await probePermissions(client, options)));

    const webhookUrl = input.id && options.mode === 'http' ? this.webhookUrl(input.id, input.origin) : undefined;
    if (options.mode === 'http' && !input.id) {
      warnings.push('Callback URL: save the integration, then Test again to get the URL to paste into the developer console.');
    }
    if (!options.cardTemplateId) {
      warnings.push('Card template: no AI card template ID is set, so answers arrive as markdown messages instead of one streamed card. Create an AI card template in the card platform and paste its ID to stream answers.');
    }
    if (!this.config.publicBaseUrl) {
      warnings.push(
        options.mode === 'http'
          ? "Public base URL: the plugin config has no publicBaseUrl, so the callback URL is built from this request's address. Set publicBaseUrl (or DINGTALK_PUBLIC_BASE_URL) to the address DingTalk and users reach this server at."
          : 'Public base URL: the plugin config has no publicBaseUrl, so links in replies (End conversation, Confirm/Reject) cannot be built. Set publicBaseUrl (or DINGTALK_PUBLIC_BASE_URL).',
      );
    }
    // Card buttons in HTTP mode call back only through a route registered with DingTalk (with the
    // apiSecret that signs each callback); registering is idempotent, so every Test and save does it.
    const cardCallback = input.id && options.mode === 'http' && reachable ? await this.registerCardRoute(input.id, options, input.origin) : undefined;
    if (cardCallback && 'error' in cardCallback) {
      warnings.push(`Card callback route: could not register the card callback route with DingTalk (${cardCallback.error}); card buttons cannot call back until it is. ${cardCallback.message}`);
    }


    const probe = this.listener?.probe(input.id, options);
    if (options.mode === 'stream' && probe && !probe.connected) {
      warnings.push(
        `Stream connection: ${probe.state}${probe.lastError ? ` (${probe.lastError})` : ''}. In the developer console set the robot's message receiving mode to Stream and publish the app version; a saved change reconnects.`,
      );
    }
    return {
      mode: options.mode,
      credentials: reachable ? 'ok' : 'unchecked',
      ...(webhookUrl ? { webhookUrl } : {}),
      ...(probe ? { probe } : {}),
      ...(cardCallback ? { cardCallback } : {}),
      warnings,
    };
  }

  private async registerCardRoute(integrationId: string, options: DingTalkIntegrationOptions, origin?: string): Promise<CardCallbackOutcome | undefined> {
    if (!this.cardRoutes) return undefined;
    try {
      return await this.cardRoutes.register(integrationId, options, origin);
    } catch (error) {
      const code = error instanceof DingTalkError ? error.code : 'dingtalk_card_route_failed';
      return { error: code, message: 'Check the message above and click Test again.' };
    }
  }

  private assertProvider(provider: unknown): void {
    if (provider && !isDingTalkProvider(String(provider))) {
      throw new DingTalkError('dingtalk_provider_mismatch', `This route tests '${PROVIDER_NAME}' integrations, not '${String(provider)}'.`, 400);
    }
  }

  /** True when DingTalk answered and accepted the credentials; false (with a warning) when it could not be asked. */
  private async checkCredentials(client: ReturnType<DingTalkClientRegistry['create']>, warnings: string[]): Promise<boolean> {
    try {
      await client.getAccessToken();
      return true;
    } catch (error) {
      if (error instanceof DingTalkApiError && error.code === 'dingtalk_credentials_invalid') {
        throw new DingTalkError(
          'dingtalk_credentials_invalid',
          'Credentials: DingTalk rejected the Client ID / Client Secret. Copy both again from the developer console (your app → Credentials & Basic Info).',
          400,
          { field: 'clientSecret', platformCode: error.platformCode },
        );
      }
      const code = error instanceof DingTalkError ? error.code : 'dingtalk_unreachable';
      warnings.push(`Credentials: could not check the Client ID / Client Secret with DingTalk at ${this.config.apiBaseUrl} (${code}). Check the server's outbound network access, then Test again.`);
      return false;
    }
  }

  private webhookUrl(integrationId: string, requestOrigin?: string): string {
    const origin = (this.config.publicBaseUrl || requestOrigin || '').replace(/\/+$/, '');
    return `${origin}/api/dingtalk/webhook/${integrationId}`;
  }

  private nextStep(options: DingTalkIntegrationOptions, webhookUrl?: string): string {
    if (options.mode === 'stream') {
      return 'Credentials work. In the developer console set the robot message receiving mode to Stream, then publish the app version.';
    }
    if (!webhookUrl) {
      return 'Credentials work. Save the integration, then Test again to get the callback URL to paste into the developer console.';
    }
    return `Credentials work. Paste ${webhookUrl} as the robot message receiving URL and as the event subscription HTTP push URL, then publish the app version.`;
  }
}
