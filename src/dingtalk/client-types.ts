import type { LoggerPort } from '../kernel/logger';

/**
 * Request/response shapes of the DingTalk OpenAPI calls the plugin makes (fact sheet §1, §4, §5, §6).
 * Field names are DingTalk's own (camelCase for v1.0, snake_case for topapi), so what you read here
 * is what you find in DingTalk's documentation.
 */

/** The plugin's one logger port. */
export type DingTalkLogger = LoggerPort;

export interface DingTalkClientOptions {
  /** AppKey / ClientID. */
  clientId: string;
  /** AppSecret / ClientSecret. */
  clientSecret: string;
  /** Defaults to `clientId` (true for enterprise-internal apps). */
  robotCode?: string;
  /** New-family host. Default `https://api.dingtalk.com`. */
  apiBaseUrl?: string;
  /** Old-family host. Default `https://oapi.dingtalk.com`. */
  oapiBaseUrl?: string;
  /** Per-attempt timeout. Default 2500 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt on throttling, 5xx, network errors and timeouts. Default 3. */
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Wall clock (epoch ms) for token expiry. */
  now?: () => number;
  /** Backoff waits and the rate limiter's permit hand-back. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: DingTalkLogger;
  /**
   * Client-side limit per API path. Default 20/s (DingTalk's per-app-per-API limit); 0 disables.
   * Replicas sharing an app lower it to their share (`setApiShare`). Session webhooks have no
   * documented limit and their own budget: `sessionWebhookPerSecond`, default 0 = not limited.
   */
  rateLimit?: { perSecond: number; sessionWebhookPerSecond?: number };
}

/** msgParam is a JSON string on the wire; an object is serialised for you. */
export type MsgParam = string | Record<string, unknown>;

export interface SendToUsersRequest {
  /** Any number of userIds: sent in batches of 20 (DingTalk's maximum per call). */
  userIds: string[];
  msgKey: string;
  msgParam: MsgParam;
  robotCode?: string;
}

export interface SendToUsersResult {
  /** Key of the first batch (the only one for ≤ 20 users). */
  processQueryKey: string;
  /** One key per batch of 20, in order. */
  processQueryKeys: string[];
  invalidStaffIdList: string[];
  flowControlledStaffIdList: string[];
}

export interface SendToGroupRequest {
  openConversationId: string;
  msgKey: string;
  msgParam: MsgParam;
  robotCode?: string;
  coolAppCode?: string;
}

export interface SendToGroupResult {
  processQueryKey: string;
}

export interface RecallResult {
  successResult: string[];
  /** processQueryKey → DingTalk's reason (e.g. `robot.processQueryKey.expired`). */
  failedResult: Record<string, string>;
}

export interface CardData {
  /** Values must be strings (numbers/booleans as text, objects as JSON text). */
  cardParamMap: Record<string, string>;
  cardMediaIdParamMap?: Record<string, string>;
}

export interface CreateAndDeliverCardRequest {
  cardTemplateId: string;
  outTrackId: string;
  cardData: CardData;
  callbackType?: 'STREAM' | 'HTTP';
  callbackRouteKey?: string;
  /** `dtv1.card//IM_GROUP.<openConversationId>` or `dtv1.card//IM_ROBOT.<userId>` (`;`-joined for several). */
  openSpaceId: string;
  /** `robotCode` defaults to the client's robotCode. */
  imGroupOpenDeliverModel?: { robotCode?: string; atUserIds?: Record<string, string>; recipients?: string[]; extension?: Record<string, string> };
  /** `spaceType` defaults to `IM_ROBOT`, `robotCode` to the client's robotCode. */
  imRobotOpenDeliverModel?: { spaceType?: 'IM_ROBOT'; robotCode?: string; extension?: Record<string, string> };
  imGroupOpenSpaceModel?: Record<string, unknown>;
  imRobotOpenSpaceModel?: Record<string, unknown>;
  privateData?: Record<string, CardData>;
  userId?: string;
  userIdType?: 1 | 2;
  openDynamicDataConfig?: Record<string, unknown>;
}

export interface CardDeliverResult {
  spaceType: string;
  spaceId: string;
  success: boolean;
  carrierId?: string;
  errorMsg?: string;
}

export interface CreateAndDeliverCardResult {
  outTrackId: string;
  deliverResults: CardDeliverResult[];
}

export interface UpdateCardRequest {
  outTrackId: string;
  cardData?: CardData;
  privateData?: Record<string, CardData>;
  /** Default (DingTalk's): overwrite the whole map. */
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
  userIdType?: 1 | 2;
}

export interface StreamCardRequest {
  outTrackId: string;
  /** Idempotency key of this chunk. */
  guid: string;
  /** Card variable being streamed. */
  key: string;
  content: string;
  isFull: boolean;
  isFinalize: boolean;
  isError: boolean;
}

export interface ListDepartmentUsersRequest {
  deptId: number;
  /** Start with 0; then the previous `nextCursor`. */
  cursor?: number;
  /** Page size, at most 100. Default 100. */
  size?: number;
  orderField?: 'entry_asc' | 'entry_desc' | 'modify_asc' | 'modify_desc' | 'custom';
  containAccessLimit?: boolean;
  language?: 'zh_CN' | 'en_US';
}

/** A user as `topapi/v2/user/list` returns it (fields beyond these depend on granted scopes). */
export interface DingTalkUser {
  userid: string;
  unionid?: string;
  name: string;
  avatar?: string;
  title?: string;
  job_number?: string;
  dept_id_list?: number[];
  active?: boolean;
  admin?: boolean;
  leader?: boolean;
  [field: string]: unknown;
}

export interface ListDepartmentUsersResult {
  hasMore: boolean;
  /** Present while `hasMore`. */
  nextCursor?: number;
  list: DingTalkUser[];
}

export interface DingTalkDepartment {
  dept_id: number;
  name: string;
  parent_id?: number;
  create_dept_group?: boolean;
  auto_add_user?: boolean;
  [field: string]: unknown;
}

/** Body of a sessionWebhook post (custom-robot shapes: text, markdown, actionCard, link, feedCard). */
/** A session-webhook body (built by `outbound.ts` webhook builders); any msgtype DingTalk accepts. */
export interface SessionWebhookBody {
  msgtype: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A raw call, for APIs without a typed method. */
export interface DingTalkRequest {
  /** `api` = new v1.0 family (token header), `oapi` = old family (token query). */
  family: 'api' | 'oapi';
  method: HttpMethod;
  /** Path on the family's host, e.g. `/v1.0/robot/groupMessages/send`. */
  path: string;
  body?: unknown;
  query?: Record<string, string | number | boolean>;
}
