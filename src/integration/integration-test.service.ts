import { Inject, Injectable, Optional } from '@nestjs/common';
import type { PluginConfig } from '../config/plugin-config';
import { parseIntegrationOptions, withoutSecrets } from '../config/integration.schema';
import type { DingTalkIntegrationOptions } from '../config/integration-options';
import { DingTalkError } from '../errors';
import { DingTalkApiError } from '../dingtalk/client';
import { DINGTALK_PLUGIN_CONFIG, PROVIDER_NAME } from '../tokens';
import { CardRouteService, type RegisteredCardRoute } from './card-route.service';
import { DingTalkClientRegistry } from './client-registry';
import { IntegrationRecords } from '../host/integration-records.port';
import { assertInCallerScope } from '../intake/tenant-scope';

export interface IntegrationFormValue {
  id?: string;
  provider?: string;
  options?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Lets other parts react when an admin tests (and so usually saves) an integration. */
export abstract class IntegrationTestListener {
  abstract onIntegrationTested(integrationId: string, options: DingTalkIntegrationOptions): Promise<Record<string, unknown> | void>;
}

export interface IntegrationTestResult extends IntegrationFormValue {
  options: Record<string, unknown>;
  webhookUrl?: string;
  checks: {
    credentials: 'ok';
    mode: 'stream' | 'http';
    next: string;
    connection?: Record<string, unknown>;
    /** HTTP mode: the card callback route registered with DingTalk, or why it could not be. */
    cardCallback?: RegisteredCardRoute | { error: string; message: string };
  };
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

  /** The Test button: check the form against DingTalk and tell the admin what to do next. Never echoes a secret. */
  async test(form: IntegrationFormValue, requestOrigin?: string): Promise<IntegrationTestResult> {
    if (form.provider && form.provider !== PROVIDER_NAME) {
      throw new DingTalkError('dingtalk_provider_mismatch', `This route tests '${PROVIDER_NAME}' integrations, not '${form.provider}'.`, 400);
    }
    const options = parseIntegrationOptions(form.options);
    // A saved integration of another tenant or organization does not exist for this caller.
    const saved = form.id && this.records ? await this.records.get(String(form.id)) : null;
    if (saved) assertInCallerScope(saved);
    await this.checkCredentials(options);

    const webhookUrl = form.id ? this.webhookUrl(form.id, requestOrigin) : undefined;
    const connection = form.id && this.listener ? await this.listener.onIntegrationTested(form.id, options) : undefined;
    const cardCallback = saved && options.mode === 'http' ? await this.registerCardRoute(saved.id, options, requestOrigin) : undefined;
    return {
      ...form,
      provider: PROVIDER_NAME,
      options: withoutSecrets(options as unknown as Record<string, unknown>),
      ...(webhookUrl && options.mode === 'http' ? { webhookUrl } : {}),
      checks: {
        credentials: 'ok',
        mode: options.mode,
        next: this.nextStep(options, webhookUrl),
        ...(connection ? { connection } : {}),
        ...(cardCallback ? { cardCallback } : {}),
      },
    };
  }

  private async registerCardRoute(integrationId: string, options: DingTalkIntegrationOptions, origin?: string): Promise<IntegrationTestResult['checks']['cardCallback']> {
    if (!this.cardRoutes) return undefined;
    try {
      return await this.cardRoutes.register(integrationId, options, origin);
    } catch (error) {
      const code = error instanceof DingTalkError ? error.code : 'dingtalk_card_route_failed';
      return { error: code, message: 'Card buttons cannot call back until the card callback route is registered; check the message above and click Test again.' };
    }
  }

  private async checkCredentials(options: DingTalkIntegrationOptions): Promise<void> {
    try {
      await this.clients.create(options).getAccessToken();
    } catch (error) {
      if (error instanceof DingTalkApiError && error.code === 'dingtalk_credentials_invalid') {
        throw new DingTalkError(
          'dingtalk_credentials_invalid',
          'DingTalk rejected the Client ID / Client Secret. Copy both again from the developer console (your app → Credentials & Basic Info).',
          400,
          { field: 'clientSecret', platformCode: error.platformCode },
        );
      }
      if (error instanceof DingTalkError) {
        throw new DingTalkError('dingtalk_unreachable', `Could not check the credentials with DingTalk (${error.code}). Check the server's outbound access to ${this.config.apiBaseUrl} and try again.`, 502);
      }
      throw new DingTalkError('dingtalk_unreachable', `Could not reach DingTalk at ${this.config.apiBaseUrl}. Check the server's outbound network access and try again.`, 502);
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
