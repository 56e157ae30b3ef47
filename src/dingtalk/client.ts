import axios, { type AxiosInstance } from 'axios';
import { DingTalkError, retriesInCall } from '../kernel/errors';
import { DingTalkApiError, isDingTalkApiError, withErrorDetails } from './api-error';
import { normalizeResponse, normalizeTransportError } from './api-error-normalizer';
import type {
  CreateAndDeliverCardRequest,
  CreateAndDeliverCardResult,
  DingTalkClientOptions,
  DingTalkDepartment,
  DingTalkLogger,
  DingTalkRequest,
  ListDepartmentUsersRequest,
  ListDepartmentUsersResult,
  MsgParam,
  RecallResult,
  SendToGroupRequest,
  SendToGroupResult,
  SendToUsersRequest,
  SendToUsersResult,
  SessionWebhookBody,
  StreamCardRequest,
  UpdateCardRequest,
} from './client-types';
import { RollingWindowRateLimiter } from './rate-limiter';
import { withRetry, type BackoffPolicy } from './retry';
import { AccessTokenCache, type AccessTokenGrant } from './token-cache';
import { silentLogger } from '../kernel/logger';

export * from './client-types';
export { DingTalkApiError, isDingTalkApiError } from './api-error';
export type { DingTalkApiErrorCode } from './api-error';
export { isAllowedSessionWebhook, type DingTalkHosts } from './session-webhook-policy';

/**
 * DingTalk OpenAPI client for one app (one ClientID). Every call goes through the same pipeline:
 * access token (cached, single-flight) → client-side rate limit per API path → one HTTP attempt with
 * a timeout → the answer normalised into success or a `DingTalkApiError` → bounded retries with
 * jittered backoff for throttling, 5xx, network errors and timeouts. A rejected token is dropped and
 * the call is repeated once with a fresh one. Validation and permission errors surface at once.
 * Nothing here logs tokens, secrets or message bodies.
 */

const DEFAULT_API = 'https://api.dingtalk.com';
const DEFAULT_OAPI = 'https://oapi.dingtalk.com';
const TOKEN_PATH = '/v1.0/oauth2/accessToken';
const BATCH_LIMIT = 20; // DingTalk's maximum userIds / processQueryKeys per robot call

interface Attempt {
  base: string;
  method: DingTalkRequest['method'];
  path: string;
  body?: unknown;
  query?: DingTalkRequest['query'];
  /** Where the token goes; `none` for the token request and session webhooks. */
  auth: 'header' | 'query' | 'none';
  tokenRequest?: boolean;
}

export class DingTalkClient {
  readonly clientId: string;
  readonly robotCode: string;
  readonly apiBaseUrl: string;
  readonly oapiBaseUrl: string;
  private readonly http: AxiosInstance;
  private readonly tokens: AccessTokenCache;
  private readonly limiter: RollingWindowRateLimiter;
  private readonly webhookLimiter: RollingWindowRateLimiter;
  /** The app's full per-API limit, before it is shared between replicas. */
  readonly apiLimitPerSecond: number;
  private readonly policy: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: DingTalkLogger;

  constructor(private readonly options: DingTalkClientOptions) {
    if (!options.clientId || !options.clientSecret) {
      throw new DingTalkError('dingtalk_config_invalid', 'DingTalk clientId and clientSecret are required', 400);
    }
    this.clientId = options.clientId;
    this.robotCode = options.robotCode || options.clientId;
    this.apiBaseUrl = trimSlash(options.apiBaseUrl ?? DEFAULT_API);
    this.oapiBaseUrl = trimSlash(options.oapiBaseUrl ?? DEFAULT_OAPI);
    const now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.logger = options.logger ?? silentLogger;
    this.policy = {
      maxRetries: Math.max(0, options.maxRetries ?? 3),
      baseMs: options.retryBaseMs ?? 200,
      maxMs: options.retryMaxMs ?? 4000,
      random: options.random ?? Math.random,
    };
    // validateStatus: every status resolves, because both error families are read from the body;
    // no redirects, so a webhook URL cannot bounce us to another host.
    this.http = axios.create({
      timeout: options.timeoutMs ?? 2500,
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    });
    this.tokens = new AccessTokenCache({ now, fetchToken: () => this.fetchToken() });
    // Permit hand-back timers must not keep a finished process alive, hence unref'd by default.
    this.apiLimitPerSecond = options.rateLimit?.perSecond ?? 20;
    this.limiter = new RollingWindowRateLimiter({ perSecond: this.apiLimitPerSecond, sleep: options.sleep ?? unrefSleep });
    this.webhookLimiter = new RollingWindowRateLimiter({ perSecond: options.rateLimit?.sessionWebhookPerSecond ?? 0, sleep: options.sleep ?? unrefSleep });
  }

  /** This process's share of the app's per-API budget (calls/s per API; Infinity when not limited). */
  get apiShare(): number {
    return this.limiter.perSecond;
  }

  /** Sets this process's share of the app's per-API budget (the replicas sharing the app split it). */
  setApiShare(perSecond: number): void {
    this.limiter.setPerSecond(perSecond);
  }

  /** A valid access token (cached; fetched once for any number of concurrent callers). */
  getAccessToken(): Promise<string> {
    return this.retrying(TOKEN_PATH, () => this.tokens.get());
  }

  /** 1:1 robot messages; more than 20 users are sent in consecutive batches of 20. */
  async sendToUsers(req: SendToUsersRequest): Promise<SendToUsersResult> {
    const userIds = [...new Set(req.userIds.filter(Boolean))];
    if (userIds.length === 0) throw new DingTalkError('dingtalk_invalid_argument', 'sendToUsers needs at least one userId', 400);
    const result: SendToUsersResult = { processQueryKey: '', processQueryKeys: [], invalidStaffIdList: [], flowControlledStaffIdList: [] };
    for (const batch of chunk(userIds, BATCH_LIMIT)) {
      try {
        const res = await this.request<Partial<SendToUsersResult>>({
          family: 'api',
          method: 'POST',
          path: '/v1.0/robot/oToMessages/batchSend',
          body: { robotCode: req.robotCode ?? this.robotCode, userIds: batch, msgKey: req.msgKey, msgParam: serializeParam(req.msgParam) },
        });
        result.processQueryKeys.push(res.processQueryKey ?? '');
        result.invalidStaffIdList.push(...(res.invalidStaffIdList ?? []));
        result.flowControlledStaffIdList.push(...(res.flowControlledStaffIdList ?? []));
      } catch (error) {
        // Earlier batches were delivered: say so, so the caller does not resend them.
        if (isDingTalkApiError(error) && result.processQueryKeys.length > 0) {
          throw withErrorDetails(error, { sentProcessQueryKeys: result.processQueryKeys, sentUserCount: result.processQueryKeys.length * BATCH_LIMIT });
        }
        throw error;
      }
    }
    result.processQueryKey = result.processQueryKeys[0];
    return result;
  }

  sendToGroup(req: SendToGroupRequest): Promise<SendToGroupResult> {
    return this.request<SendToGroupResult>({
      family: 'api',
      method: 'POST',
      path: '/v1.0/robot/groupMessages/send',
      body: {
        robotCode: req.robotCode ?? this.robotCode,
        openConversationId: req.openConversationId,
        msgKey: req.msgKey,
        msgParam: serializeParam(req.msgParam),
        ...(req.coolAppCode ? { coolAppCode: req.coolAppCode } : {}),
      },
    });
  }

  /** Recalls 1:1 robot messages (DingTalk allows it within 24 h of sending). */
  async recallUserMessages(processQueryKeys: string[], robotCode?: string): Promise<RecallResult> {
    return this.recallInBatches(processQueryKeys, (keys) => ({
      family: 'api',
      method: 'POST',
      path: '/v1.0/robot/otoMessages/batchRecall',
      body: { robotCode: robotCode ?? this.robotCode, processQueryKeys: keys },
    }));
  }

  async recallGroupMessages(openConversationId: string, processQueryKeys: string[], robotCode?: string): Promise<RecallResult> {
    return this.recallInBatches(processQueryKeys, (keys) => ({
      family: 'api',
      method: 'POST',
      path: '/v1.0/robot/groupMessages/recall',
      body: { openConversationId, robotCode: robotCode ?? this.robotCode, processQueryKeys: keys },
    }));
  }

  async createAndDeliverCard(req: CreateAndDeliverCardRequest): Promise<CreateAndDeliverCardResult> {
    const body: Record<string, unknown> = { ...req };
    if (req.imGroupOpenDeliverModel) body.imGroupOpenDeliverModel = { robotCode: this.robotCode, ...req.imGroupOpenDeliverModel };
    if (req.imRobotOpenDeliverModel) body.imRobotOpenDeliverModel = { spaceType: 'IM_ROBOT', robotCode: this.robotCode, ...req.imRobotOpenDeliverModel };
    const res = await this.request<{ result?: Partial<CreateAndDeliverCardResult> }>({ family: 'api', method: 'POST', path: '/v1.0/card/instances/createAndDeliver', body });
    return { outTrackId: res.result?.outTrackId ?? req.outTrackId, deliverResults: res.result?.deliverResults ?? [] };
  }

  async updateCard(req: UpdateCardRequest): Promise<void> {
    await this.request({ family: 'api', method: 'PUT', path: '/v1.0/card/instances', body: req });
  }

  /**
   * Registers (or, with `forceUpdate`, replaces) the URL DingTalk POSTs HTTP-mode card callbacks of
   * cards naming `callbackRouteKey` to; with an `apiSecret` DingTalk signs every callback.
   */
  async registerCardCallback(req: { callbackRouteKey: string; callbackUrl: string; apiSecret: string; forceUpdate?: boolean }): Promise<void> {
    await this.request({ family: 'api', method: 'POST', path: '/v1.0/card/callbacks/register', body: req });
  }

  /** One chunk of an AI-card stream; `guid` makes a repeated chunk harmless. */
  async streamCard(req: StreamCardRequest): Promise<void> {
    await this.request({ family: 'api', method: 'PUT', path: '/v1.0/card/streaming', body: req });
  }

  /** One page of a department's users (no sub-departments). */
  async listDepartmentUsers(req: ListDepartmentUsersRequest): Promise<ListDepartmentUsersResult> {
    const res = await this.request<{ result?: { has_more?: boolean; next_cursor?: number; list?: ListDepartmentUsersResult['list'] } }>({
      family: 'oapi',
      method: 'POST',
      path: '/topapi/v2/user/list',
      body: {
        dept_id: req.deptId,
        cursor: req.cursor ?? 0,
        size: req.size ?? 100,
        ...(req.orderField ? { order_field: req.orderField } : {}),
        ...(req.containAccessLimit !== undefined ? { contain_access_limit: req.containAccessLimit } : {}),
        ...(req.language ? { language: req.language } : {}),
      },
    });
    const hasMore = Boolean(res.result?.has_more);
    return { hasMore, ...(hasMore ? { nextCursor: res.result?.next_cursor } : {}), list: res.result?.list ?? [] };
  }

  /** Direct children of a department (root = 1). */
  async listSubDepartments(deptId = 1, language?: 'zh_CN' | 'en_US'): Promise<DingTalkDepartment[]> {
    const res = await this.request<{ result?: DingTalkDepartment[] }>({
      family: 'oapi',
      method: 'POST',
      path: '/topapi/v2/department/listsub',
      body: { dept_id: deptId, ...(language ? { language } : {}) },
    });
    return res.result ?? [];
  }

  /** Temporary URL of a file/picture a user sent to the robot. */
  async getMessageFileDownloadUrl(downloadCode: string, robotCode?: string): Promise<{ downloadUrl: string }> {
    const res = await this.request<{ downloadUrl: string }>({
      family: 'api',
      method: 'POST',
      path: '/v1.0/robot/messageFiles/download',
      body: { downloadCode, robotCode: robotCode ?? this.robotCode },
    });
    return { downloadUrl: res.downloadUrl };
  }

  /**
   * Uploads a file for a robot message (`/media/upload`, old family): multipart field `media`.
   * Returns the media id that `sampleFile` / `sampleImageMsg` take.
   */
  async uploadMedia(req: { type: 'image' | 'file' | 'voice' | 'video'; bytes: Buffer; fileName: string; contentType?: string }): Promise<{ mediaId: string }> {
    const res = await this.request<{ media_id?: string }>({
      family: 'oapi',
      method: 'POST',
      path: '/media/upload',
      query: { type: req.type },
      // A fresh form per attempt: a retried request must not reuse a consumed body.
      body: mediaForm(req),
    });
    if (!res.media_id) throw new DingTalkError('dingtalk_media_upload_failed', 'DingTalk accepted the upload but returned no media_id; try again.', 502);
    return { mediaId: res.media_id };
  }

  /**
   * Posts a reply to a sessionWebhook. No token is needed. The caller must have checked the URL
   * with `isAllowedSessionWebhook` — this method trusts it.
   */
  async postToSessionWebhook<B extends SessionWebhookBody>(url: string, body: B): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DingTalkError('dingtalk_invalid_argument', 'sessionWebhook is not a valid URL', 400);
    }
    await this.retrying(parsed.pathname, () =>
      this.attempt({ base: parsed.origin, method: 'POST', path: `${parsed.pathname}${parsed.search}`, body, auth: 'none' }),
    );
  }

  /** Any other DingTalk API, with the same token, limits, retries and error normalisation. */
  request<T = Record<string, unknown>>(req: DingTalkRequest): Promise<T> {
    const base = req.family === 'api' ? this.apiBaseUrl : this.oapiBaseUrl;
    const auth = req.family === 'api' ? 'header' : 'query';
    let tokenRetried = false;
    return this.retrying(req.path, async () => {
      try {
        return await this.attempt<T>({ base, method: req.method, path: req.path, body: req.body, query: req.query, auth });
      } catch (error) {
        // A stale or revoked token: `attempt` already dropped it; repeat once with a fresh one.
        if (!isDingTalkApiError(error) || !error.tokenRejected || tokenRetried) throw error;
        tokenRetried = true;
        this.logger.debug(`DingTalk rejected the access token on ${req.path}; refreshing once`);
        return this.attempt<T>({ base, method: req.method, path: req.path, body: req.body, query: req.query, auth });
      }
    });
  }

  private retrying<T>(path: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, {
      policy: this.policy,
      sleep: this.sleep,
      // The error catalogue says which failures this loop owns (throttling, 5xx, timeouts); the rest surface at once.
      classify: (error) => (isDingTalkApiError(error) ? { retryable: retriesInCall(error), retryAfterMs: error.retryAfterMs } : { retryable: false }),
      onRetry: (error, retry, delayMs) =>
        this.logger.debug(`DingTalk ${path}: ${(error as DingTalkApiError).code} (${(error as DingTalkApiError).platformCode}); retry ${retry + 1} in ${delayMs} ms`),
    });
  }

  /** One HTTP attempt: token, rate limit, request, normalisation. */
  private async attempt<T>(a: Attempt): Promise<T> {
    const token = a.auth === 'none' ? undefined : await this.tokens.get();
    const path = a.path.split('?')[0];
    // Rate-limit after the token is in hand, so a slow token fetch cannot bunch the calls up. Session
    // webhooks (no token) do not count against the OpenAPI budget: one key for all of them.
    const release = a.auth === 'none' && !a.tokenRequest ? await this.webhookLimiter.acquire(a.base) : await this.limiter.acquire(`${a.base}${path}`);
    try {
      return await this.send<T>(a, path, token);
    } finally {
      release();
    }
  }

  private async send<T>(a: Attempt, path: string, token: string | undefined): Promise<T> {
    const headers: Record<string, string> = {};
    const params: Record<string, unknown> = { ...(a.query ?? {}) };
    if (token && a.auth === 'header') headers['x-acs-dingtalk-access-token'] = token;
    if (token && a.auth === 'query') params.access_token = token;
    // An upload: axios writes the multipart body and its boundary (the default JSON type would not).
    if (a.body instanceof FormData) headers['Content-Type'] = 'multipart/form-data';
    let response;
    try {
      response = await this.http.request({ method: a.method, url: `${a.base}${a.path}`, data: a.body, params, headers });
    } catch (error) {
      throw normalizeTransportError(error, { path });
    }
    const failure = normalizeResponse(response.status, response.data, { path, tokenRequest: a.tokenRequest, headers: { ...response.headers } });
    if (failure) {
      if (failure.tokenRejected && token) this.tokens.invalidate(token);
      throw failure;
    }
    return response.data as T;
  }

  /** Single attempt; the callers' retry loop decides about repeating it. */
  private async fetchToken(): Promise<AccessTokenGrant> {
    const res = await this.attempt<{ accessToken?: string; expireIn?: number }>({
      base: this.apiBaseUrl,
      method: 'POST',
      path: TOKEN_PATH,
      body: { appKey: this.options.clientId, appSecret: this.options.clientSecret },
      auth: 'none',
      tokenRequest: true,
    });
    if (!res.accessToken) {
      throw new DingTalkApiError({
        code: 'dingtalk_api_error',
        message: 'DingTalk returned no accessToken',
        platformCode: 'missing.accessToken',
        httpStatus: 502,
        retryable: false,
        path: TOKEN_PATH,
      });
    }
    return { accessToken: res.accessToken, expireIn: Number(res.expireIn ?? 7200) };
  }

  private async recallInBatches(keys: string[], build: (keys: string[]) => DingTalkRequest): Promise<RecallResult> {
    const result: RecallResult = { successResult: [], failedResult: {} };
    for (const batch of chunk([...new Set(keys.filter(Boolean))], BATCH_LIMIT)) {
      const res = await this.request<Partial<RecallResult>>(build(batch));
      result.successResult.push(...(res.successResult ?? []));
      Object.assign(result.failedResult, res.failedResult ?? {});
    }
    return result;
  }
}

function serializeParam(param: MsgParam): string {
  return typeof param === 'string' ? param : JSON.stringify(param);
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function mediaForm(req: { bytes: Buffer; fileName: string; contentType?: string }): FormData {
  const form = new FormData();
  form.append('media', new Blob([req.bytes], { type: req.contentType || 'application/octet-stream' }), req.fileName);
  return form;
}
