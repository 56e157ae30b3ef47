/**
 * Every error code the plugin uses, in one place. Each entry says:
 *  - `status`: what an HTTP edge answers when the error reaches it (a thrower may be more precise,
 *    e.g. a DingTalk API error keeps the status DingTalk answered with);
 *  - `retry`: which layer, if any, may try again. One layer owns each failure, so retries never
 *    multiply across layers:
 *      `never`  — no retry can fix it: the worker dead-letters the job at once, a tool answers at once;
 *      `client` — the DingTalk HTTP client retries it inside the call (throttling, 5xx, timeouts);
 *                 when the client gave up, the job attempt fails and is retried by the queue, but
 *                 no other loop in between repeats the call;
 *      `job`    — the handoff queue retries the job later with backoff (database, Xpert host, shutdown);
 *  - `en` / `zh`: what the admin should do, in English and Simplified Chinese. The thrower's own
 *    message adds the specifics (which field, which scope); these texts are the stable part.
 *
 * `ErrorCode` is derived from this table, and `DingTalkError` only accepts an `ErrorCode`, so a code
 * that is not listed here does not compile. The README's table of codes is generated from it
 * (`npm run docs:errors`).
 */
export type RetryLayer = 'never' | 'client' | 'job';

export interface ErrorSpec {
  status: number;
  retry: RetryLayer;
  en: string;
  zh: string;
}

const spec = (status: number, retry: RetryLayer, en: string, zh: string): ErrorSpec => ({ status, retry, en, zh });

export const ERROR_CATALOGUE = {
  // DingTalk API answers (normalised by the client)
  dingtalk_api_throttled: spec(429, 'client', 'DingTalk is rate-limiting this app; the call is retried. If it persists, lower the traffic or ask DingTalk for a higher quota.', '钉钉正在对该应用限流，调用会自动重试；若持续出现，请降低调用量或向钉钉申请更高配额。'),
  dingtalk_permission_missing: spec(403, 'never', 'The DingTalk app lacks a permission scope: grant the named scope in the developer console → Permission management, then try again.', '钉钉应用缺少接口权限：请在开发者后台 → 权限管理中开通提示的权限后重试。'),
  dingtalk_credentials_invalid: spec(401, 'never', 'DingTalk rejected the Client ID / Client Secret: copy them again from the developer console and click Test.', '钉钉拒绝了 Client ID / Client Secret：请从开发者后台重新复制并点击测试。'),
  dingtalk_token_invalid: spec(401, 'never', 'DingTalk rejected the access token even after a refresh; if it persists, check that the app is not disabled.', '刷新后钉钉仍拒绝访问令牌；若持续出现，请检查应用是否被停用。'),
  dingtalk_ip_not_allowed: spec(403, 'never', "This server's egress IP is not in the DingTalk app's IP whitelist: add it in the developer console.", '本服务器的出口 IP 不在钉钉应用的 IP 白名单中：请在开发者后台添加。'),
  dingtalk_api_error: spec(400, 'never', 'DingTalk rejected the request; the platform code in the details says why.', '钉钉拒绝了该请求；详情中的平台错误码说明了原因。'),
  dingtalk_api_unavailable: spec(503, 'client', 'DingTalk answered with a server error or could not be reached; the call is retried.', '钉钉返回服务器错误或无法连接；调用会自动重试。'),
  dingtalk_timeout: spec(504, 'client', 'DingTalk did not answer in time; the call is retried. Check the network path to api.dingtalk.com if it persists.', '钉钉未及时响应，调用会自动重试；若持续出现，请检查到 api.dingtalk.com 的网络。'),
  dingtalk_unreachable: spec(502, 'client', 'DingTalk could not be reached from this server: check outbound network access.', '本服务器无法连接钉钉：请检查出站网络访问。'),
  dingtalk_media_upload_failed: spec(502, 'client', 'DingTalk accepted the upload but returned no media id; the upload is tried again.', '钉钉接受了上传但未返回 media_id；将重新上传。'),
  // Configuration and settings
  dingtalk_public_url_missing: spec(409, 'never', 'Set the public base URL of this server (publicBaseUrl or DINGTALK_PUBLIC_BASE_URL) so DingTalk can call back card buttons.', '请设置本服务器的公网地址（publicBaseUrl 或 DINGTALK_PUBLIC_BASE_URL），以便钉钉回调卡片按钮。'),
  dingtalk_config_invalid: spec(400, 'never', 'The DingTalk integration settings are incomplete: fill in the highlighted fields and click Test.', '钉钉集成配置不完整：请填写提示的字段并点击测试。'),
  dingtalk_invalid_argument: spec(400, 'never', 'The plugin was called with an invalid argument; the message names it.', '插件收到了无效参数；错误信息中指明了该参数。'),
  dingtalk_stream_config_invalid: spec(400, 'never', 'Stream mode needs the app Client ID (AppKey) and Client Secret (AppSecret).', 'Stream 模式需要应用的 Client ID (AppKey) 和 Client Secret (AppSecret)。'),
  dingtalk_provider_mismatch: spec(400, 'never', 'This route is for DingTalk integrations only.', '该接口只用于钉钉集成。'),
  dingtalk_integration_not_found: spec(404, 'never', 'No DingTalk integration has this id: copy the callback URL again from the integration page.', '找不到该 id 的钉钉集成：请从集成页面重新复制回调地址。'),
  dingtalk_integration_provider_mismatch: spec(409, 'never', 'The integration belongs to another provider: use the URL of a DingTalk integration.', '该集成属于其他提供方：请使用钉钉集成的地址。'),
  dingtalk_integration_misconfigured: spec(409, 'never', 'The DingTalk integration settings are incomplete: open the integration, fix the highlighted fields and click Test.', '钉钉集成配置不完整：请打开集成，修正提示的字段并点击测试。'),
  dingtalk_integration_mode_mismatch: spec(409, 'never', "The callback does not match the integration's connection mode: check the mode (HTTP or Stream) in the integration.", '回调与集成的连接模式不符：请检查集成中的模式（HTTP 或 Stream）。'),
  dingtalk_expert_config_invalid: spec(400, 'never', 'The Xpert API settings are invalid: check the API key and host URL of the DingTalk integration.', 'Xpert API 配置无效：请检查钉钉集成中的 API 密钥和主机地址。'),
  dingtalk_worker_config_invalid: spec(500, 'never', 'The handoff worker configuration is invalid; the message names the field.', '任务处理器配置无效；错误信息中指明了字段。'),
  // Inbound requests
  dingtalk_select_integration_missing: spec(400, 'never', 'Choose the DingTalk integration first; the option list needs it.', '请先选择钉钉集成；选项列表需要它。'),
  dingtalk_payload_too_deep: spec(400, 'never', 'The request body is nested too deeply to be a DingTalk payload.', '请求体嵌套过深，不是钉钉消息。'),
  dingtalk_event_rejected: spec(400, 'never', 'The event callback was not accepted: check the aes_key and the owner key (Client ID, or Corp ID) on the integration.', '事件回调未被接受：请检查集成中的 aes_key 与所属密钥（Client ID 或 Corp ID）。'),
  dingtalk_spool_full: spec(503, 'never', 'The intake spool is full while the database is away: restore the plugin database so it drains, or raise spool.maxEvents / spool.maxBytes.', '数据库不可用期间接收缓冲已满：请恢复插件数据库以便排空，或调大 spool.maxEvents / spool.maxBytes。'),
  dingtalk_spool_unwritable: spec(503, 'never', 'The intake spool cannot be written: check spool.dir (DINGTALK_SPOOL_DIR) for free space and permissions.', '接收缓冲无法写入：请检查 spool.dir（DINGTALK_SPOOL_DIR）的剩余空间与权限。'),
  dingtalk_spool_locked: spec(503, 'never', 'Another process uses this spool directory: give each replica its own spool.dir (DINGTALK_SPOOL_DIR).', '另一个进程正在使用该缓冲目录：请为每个副本配置独立的 spool.dir（DINGTALK_SPOOL_DIR）。'),
  dingtalk_payload_invalid: spec(400, 'never', 'The request body is not a DingTalk payload this plugin understands.', '请求体不是本插件可识别的钉钉消息。'),
  dingtalk_request_invalid: spec(400, 'never', 'The request is malformed.', '请求格式不正确。'),
  dingtalk_request_aborted: spec(400, 'never', 'The caller closed the connection before its request body arrived; nothing was stored. Frequent lines point at a proxy timeout in front of Xpert.', '调用方在请求体传完前关闭了连接，未保存任何内容；若频繁出现，请检查 Xpert 前面代理的超时设置。'),
  dingtalk_media_type_unsupported: spec(415, 'never', 'The request body uses an encoding or charset the server cannot read: DingTalk sends UTF-8 JSON.', '请求体的编码或字符集无法读取：钉钉发送的是 UTF-8 JSON。'),
  dingtalk_body_too_large: spec(413, 'never', 'The request body exceeds the configured limit (webhook.bodyLimitBytes).', '请求体超过配置上限 (webhook.bodyLimitBytes)。'),
  dingtalk_signature_missing: spec(401, 'never', 'The request carries no DingTalk signature: only DingTalk may call this URL.', '请求没有钉钉签名：只有钉钉可以调用该地址。'),
  dingtalk_signature_invalid: spec(401, 'never', 'The DingTalk signature does not match: check the app secret / callback token in the integration.', '钉钉签名不匹配：请检查集成中的应用密钥 / 回调 token。'),
  dingtalk_secret_missing: spec(500, 'never', 'The integration has no secret to verify DingTalk callbacks: set it before accepting callbacks.', '集成缺少用于校验钉钉回调的密钥：请先设置。'),
  dingtalk_request_stale: spec(401, 'never', "The request timestamp is outside the allowed window: check this server's clock (NTP).", '请求时间戳超出允许范围：请检查服务器时间 (NTP)。'),
  dingtalk_unauthorized: spec(401, 'never', 'Sign in to Xpert (or send a valid token) to use this route.', '请登录 Xpert（或提供有效令牌）后再调用该接口。'),
  dingtalk_not_found: spec(404, 'never', 'No such route or resource.', '接口或资源不存在。'),
  dingtalk_http_error: spec(500, 'never', 'The request failed; see the message.', '请求失败；请查看错误信息。'),
  dingtalk_internal_error: spec(500, 'job', 'Internal error in the DingTalk plugin; see the server log.', '钉钉插件内部错误；请查看服务器日志。'),
  dingtalk_intake_unavailable: spec(503, 'job', 'The event could not be stored and was not acknowledged (the database and the spool are unavailable); DingTalk does not resend robot messages. Check the plugin database and spool.dir.', '事件未能保存且未确认（数据库与接收缓冲均不可用）；钉钉不会重发机器人消息。请检查插件数据库与 spool.dir。'),
  dingtalk_action_link_invalid: spec(403, 'never', 'This action link is not valid: use the buttons of the latest message.', '该操作链接无效：请使用最新消息中的按钮。'),
  dingtalk_action_link_expired: spec(410, 'never', 'This action link has expired: use the buttons of the latest message.', '该操作链接已过期：请使用最新消息中的按钮。'),
  dingtalk_action_unavailable: spec(503, 'never', 'The action could not be taken just now (the plugin database is unavailable); nothing changed. Try the button again.', '暂时无法执行该操作（插件数据库不可用），未做任何更改。请再次点击按钮。'),
  // Callback encryption
  dingtalk_callback_token_missing: spec(400, 'never', 'The callback signing token (callbackToken) is empty: copy "签名 token" from the developer console.', '回调签名 token (callbackToken) 为空：请从开发者后台复制“签名 token”。'),
  dingtalk_owner_key_missing: spec(400, 'never', 'The callback owner key is empty: set the app Client ID / AppKey (or the CorpId).', '回调所属密钥为空：请设置应用 Client ID / AppKey（或 CorpId）。'),
  dingtalk_owner_key_mismatch: spec(401, 'never', 'The callback was encrypted for another app: check the Client ID / AppKey (or CorpId).', '回调是为其他应用加密的：请检查 Client ID / AppKey（或 CorpId）。'),
  dingtalk_aes_key_invalid: spec(400, 'never', 'The callback AES key must be exactly 43 letters or digits: copy "加密 aes_key" from the developer console.', '回调 AES 密钥必须是 43 位字母或数字：请从开发者后台复制“加密 aes_key”。'),
  dingtalk_decrypt_failed: spec(400, 'never', 'The callback could not be decrypted: check that callbackAesKey equals the console "加密 aes_key".', '回调无法解密：请确认 callbackAesKey 与后台“加密 aes_key”一致。'),
  dingtalk_encrypt_failed: spec(500, 'never', 'The callback answer could not be encrypted; check the callback settings.', '回调应答无法加密；请检查回调配置。'),
  // Stream mode
  dingtalk_stream_gateway_rejected: spec(401, 'never', 'The DingTalk Stream gateway rejected the app credentials: check the Client ID / Secret and that Stream mode is enabled for the robot.', '钉钉 Stream 网关拒绝了应用凭证：请检查 Client ID / Secret，并确认机器人已启用 Stream 模式。'),
  dingtalk_stream_gateway_unavailable: spec(502, 'client', 'The DingTalk Stream gateway is unavailable; the connection is retried.', '钉钉 Stream 网关不可用，连接会自动重试。'),
  dingtalk_stream_gateway_unreachable: spec(502, 'client', 'The DingTalk Stream gateway cannot be reached; check outbound network access. The connection is retried.', '无法连接钉钉 Stream 网关；请检查出站网络，连接会自动重试。'),
  dingtalk_stream_gateway_bad_response: spec(502, 'client', 'The DingTalk Stream gateway answered without endpoint or ticket; the connection is retried.', '钉钉 Stream 网关的应答缺少 endpoint 或 ticket，连接会自动重试。'),
  // Outbound messages and replies
  delivery_card_undelivered: spec(422, 'never', 'DingTalk created the card but could not deliver it to the conversation: check that the robot is in the group, or the user is in the app\'s visible range.', '钉钉已创建卡片但无法投放到会话：请检查机器人是否在群内，或用户是否在应用可见范围内。'),
  delivery_no_route: spec(422, 'never', 'The conversation has no usable session webhook and no user id to send to through the OpenAPI, so the message cannot be sent.', '会话没有可用的 sessionWebhook，也没有可通过开放接口发送的用户 id，消息无法发送。'),
  delivery_recipient_invalid: spec(422, 'never', 'DingTalk does not know the recipient for this robot (not in the organisation, or outside the app\'s visible range).', '钉钉无法为该机器人识别接收人（不在组织内，或不在应用可见范围内）。'),
  delivery_in_flight: spec(409, 'job', 'An identical send is still in progress; it is retried once the first attempt has finished or timed out.', '相同的发送仍在进行中；待第一次尝试完成或超时后会重试。'),
  dingtalk_message_invalid: spec(400, 'never', 'The message does not fit DingTalk\'s limits; the message says which.', '消息不符合钉钉的限制；错误信息中说明了原因。'),
  dingtalk_reply_undeliverable: spec(422, 'never', "DingTalk refused the recipient: check that the user is in the app's visible range.", '钉钉拒绝了接收人：请确认该用户在应用的可见范围内。'),
  dingtalk_reply_no_route: spec(422, 'never', 'The chat has neither a usable reply webhook nor a userId, so the answer cannot be sent.', '该会话既没有可用的回复 webhook 也没有 userId，无法发送回答。'),
  dingtalk_card_undelivered: spec(422, 'never', 'DingTalk created the card but could not deliver it to the conversation: check the robot is in the chat.', '钉钉已创建卡片但无法投递到会话：请确认机器人在该会话中。'),
  // Plugin database
  dingtalk_database_unavailable: spec(503, 'job', 'The plugin database is not ready: check the database connection in the server log.', '插件数据库未就绪：请在服务器日志中检查数据库连接。'),
  dingtalk_database_closed: spec(503, 'job', 'The plugin database is closed (shutting down); the work is retried.', '插件数据库已关闭（正在停机），任务会重试。'),
  dingtalk_database_missing: spec(500, 'never', 'No database settings found: set the plugin `database` setting to a postgres:// URL.', '未找到数据库配置：请将插件 `database` 设置为 postgres:// 地址。'),
  dingtalk_database_unsupported: spec(500, 'never', 'This database cannot be used: set the plugin `database` setting to a postgres:// URL.', '无法使用该数据库：请将插件 `database` 设置为 postgres:// 地址。'),
  dingtalk_database_nested_call: spec(500, 'never', 'Plugin database misuse (a bug in the plugin); see the server log.', '插件数据库使用错误（插件缺陷）；请查看服务器日志。'),
  dingtalk_persistence_invalid_argument: spec(500, 'never', 'The plugin passed an invalid value to its database layer (a bug in the plugin).', '插件向数据层传入了无效值（插件缺陷）。'),
  dingtalk_host_database_missing: spec(503, 'never', 'The host did not provide its database connection; integration records cannot be read.', '宿主未提供数据库连接，无法读取集成记录。'),
  // Handoff queue
  dingtalk_worker_shutdown: spec(503, 'job', 'The job was interrupted by a shutdown and goes back to the queue.', '任务因停机被中断，已放回队列。'),
  dingtalk_job_lease_lost: spec(409, 'job', 'Another worker took the job over after its lease expired.', '任务租约过期，已由其他处理器接管。'),
  dingtalk_job_kind_unknown: spec(500, 'never', 'No handler is registered for this job kind (a newer or older plugin version queued it).', '该任务类型没有处理器（可能由其他版本的插件入队）。'),
  dingtalk_job_payload_invalid: spec(500, 'never', 'The job payload is invalid and cannot be processed.', '任务数据无效，无法处理。'),
  dingtalk_job_not_found: spec(404, 'never', 'No dead job with this id in this integration: list the dead letters again.', '该集成中没有此 id 的死信任务：请重新列出死信。'),
  // Xpert host and expert runs
  dingtalk_expert_aborted: spec(499, 'job', 'The expert run was cancelled.', '专家运行已取消。'),
  dingtalk_expert_resume_unsupported: spec(409, 'never', 'This expert runs through the host trigger, which cannot resume a confirmation: set an Xpert API key on the trigger.', '该专家通过宿主触发器运行，无法继续确认：请在触发器上设置 Xpert API 密钥。'),
  dingtalk_trigger_callback_failed: spec(503, 'job', 'The Xpert host did not accept the run; it is retried.', 'Xpert 宿主未接受本次运行，会自动重试。'),
  dingtalk_expert_timeout: spec(504, 'job', 'The Xpert host did not answer in time; the run is retried.', 'Xpert 宿主未及时响应，会自动重试。'),
  dingtalk_expert_idle_timeout: spec(504, 'job', 'The expert stopped sending; the run is retried.', '专家长时间无输出，会自动重试。'),
  dingtalk_expert_auth_failed: spec(502, 'never', 'The Xpert host rejected the API key: check the Xpert API key configured for DingTalk.', 'Xpert 宿主拒绝了 API 密钥：请检查为钉钉配置的 Xpert API 密钥。'),
  dingtalk_expert_request_failed: spec(502, 'job', 'The Xpert host answered with an error; the run is retried.', 'Xpert 宿主返回错误，会自动重试。'),
  dingtalk_expert_unreachable: spec(502, 'job', 'The Xpert host cannot be reached: check the host URL and that it is running.', '无法连接 Xpert 宿主：请检查主机地址及其运行状态。'),
  dingtalk_expert_stream_incomplete: spec(502, 'job', 'The expert answer ended early; the run is retried.', '专家回答提前结束，会自动重试。'),
  dingtalk_expert_stream_broken: spec(502, 'job', 'The connection to the Xpert host broke during the answer; the run is retried.', '回答过程中与 Xpert 宿主的连接中断，会自动重试。'),
  dingtalk_expert_callback_missing: spec(503, 'job', "No replica has this expert's trigger callback yet (the host is still starting); the run is retried.", '暂无副本注册该专家的触发回调（宿主仍在启动），会自动重试。'),
  dingtalk_dispatch_enqueue_failed: spec(503, 'job', 'The Xpert host did not take the chat dispatch; it is retried. Check the host\'s handoff queue if it persists.', 'Xpert 宿主未接收对话派发，会自动重试；若持续出现，请检查宿主的任务队列。'),
  dingtalk_dispatch_previous_running: spec(409, 'job', 'The previous answer of this conversation is still streaming; this message is answered right after it.', '该会话的上一条回答仍在输出，本条消息会在其后回答。'),
  dingtalk_dispatch_resume_unknown: spec(409, 'never', 'The confirmation cannot be sent: the Xpert conversation of this session is not known (the question is stale).', '无法提交确认：该会话对应的 Xpert 对话未知（问题已过期）。'),
  // Trigger settings
  dingtalk_trigger_xpert_missing: spec(400, 'never', 'The trigger has no expert: pick the Digital Expert to answer.', '触发器未选择专家：请选择负责回答的数字专家。'),
  dingtalk_trigger_integration_missing: spec(400, 'never', 'The trigger needs a DingTalk integration: pick one.', '触发器需要一个钉钉集成：请选择。'),
  dingtalk_trigger_integration_not_found: spec(400, 'never', 'The chosen integration does not exist any more: pick another.', '所选集成已不存在：请重新选择。'),
  dingtalk_trigger_integration_not_dingtalk: spec(400, 'never', 'The chosen integration is not a DingTalk integration.', '所选集成不是钉钉集成。'),
  dingtalk_trigger_integration_bound: spec(400, 'never', 'The integration already answers with another expert: unbind it there first.', '该集成已绑定其他专家：请先在那里解除绑定。'),
  dingtalk_trigger_integration_unchecked: spec(400, 'never', 'The integration has not passed Test yet: open it and click Test.', '该集成尚未通过测试：请打开并点击测试。'),
  dingtalk_trigger_summary_window_range: spec(400, 'never', 'The summary window is out of range: use a value within the shown limits.', '摘要窗口超出范围：请使用提示范围内的值。'),
  dingtalk_trigger_session_timeout_range: spec(400, 'never', 'The session timeout is out of range: use a value within the shown limits.', '会话超时超出范围：请使用提示范围内的值。'),
  dingtalk_trigger_api_base_url_invalid: spec(400, 'never', 'The Xpert API base URL is not a valid http(s) URL.', 'Xpert API 地址不是有效的 http(s) 地址。'),
  // Notify tools (answers to a model; the text is what it passes on)
  notify_message_out_of_scope: spec(403, 'never', 'That message was not sent in this conversation (or to the configured recipient), so it cannot be updated or recalled from here.', '该消息不是在本会话中（或发给配置的接收人）发送的，无法在此更新或撤回。'),
  notify_integration_missing: spec(400, 'never', 'The tool has no DingTalk integration: choose one in the toolset settings.', '工具未配置钉钉集成：请在工具集设置中选择。'),
  notify_options_invalid: spec(400, 'never', 'The toolset settings are invalid; the message names the field.', '工具集设置无效；错误信息中指明了字段。'),
  notify_argument_missing: spec(400, 'never', 'A required tool argument is missing.', '缺少必需的工具参数。'),
  notify_argument_invalid: spec(400, 'never', 'A tool argument is invalid; the message says which.', '工具参数无效；错误信息中说明了原因。'),
  notify_recipient_missing: spec(400, 'never', 'The message has no recipient.', '消息没有接收人。'),
  notify_recipient_invalid: spec(400, 'never', 'A recipient id is not valid for its type.', '接收人 id 与其类型不符。'),
  notify_recipient_unreachable: spec(400, 'never', 'The recipient cannot be reached any more (no userId and the reply webhook has expired).', '接收人已无法触达（无 userId 且回复 webhook 已过期）。'),
  notify_open_id_unsupported: spec(400, 'never', 'DingTalk cannot send to a unionId here: use the userId.', '此处钉钉不支持按 unionId 发送：请使用 userId。'),
  notify_buttons_invalid: spec(400, 'never', 'The buttons do not fit DingTalk\'s limits.', '按钮不符合钉钉的限制。'),
  notify_message_empty: spec(400, 'never', 'The message is empty.', '消息为空。'),
  notify_update_empty: spec(400, 'never', 'The update has nothing to change.', '更新内容为空。'),
  notify_template_variable_missing: spec(400, 'never', 'The template uses a variable that was not given.', '模板中使用了未提供的变量。'),
  notify_public_url_missing: spec(400, 'never', 'Action buttons need the public URL of this server: set publicBaseUrl (or API_BASE_URL).', '操作按钮需要本服务器的公网地址：请设置 publicBaseUrl（或 API_BASE_URL）。'),
  notify_card_template_missing: spec(400, 'never', 'Sending a card needs a card template id in the integration.', '发送卡片需要在集成中配置卡片模板 id。'),
  notify_card_needs_user_id: spec(400, 'never', 'A card to a person needs their userId.', '向个人发送卡片需要其 userId。'),
  notify_card_not_delivered: spec(400, 'never', 'DingTalk created the card but could not deliver it.', '钉钉已创建卡片但无法投递。'),
  notify_partially_sent: spec(400, 'never', 'Only some parts were sent; repeating the same call sends only the missing parts.', '仅部分内容已发送；重复同一调用只会补发缺少的部分。'),
  notify_send_in_progress: spec(400, 'never', 'An identical send is still in progress; it was not sent twice.', '相同的发送仍在进行中，未重复发送。'),
  notify_message_not_found: spec(400, 'never', 'No sent message matches: use the message id a send returned.', '找不到匹配的已发送消息：请使用发送时返回的消息 id。'),
  notify_recall_failed: spec(400, 'never', 'The message was not recalled; the message says why.', '消息未能撤回；错误信息中说明了原因。'),
  notify_recall_expired: spec(400, 'never', 'DingTalk only recalls a 1:1 message within 24 hours; send a correction instead.', '钉钉只允许在 24 小时内撤回单聊消息；请改为发送更正。'),
  notify_cursor_invalid: spec(400, 'never', 'The paging cursor is not valid: start the listing again.', '分页游标无效：请重新开始列出。'),
  notify_file_unavailable: spec(400, 'never', 'Sending files is not available here: share a link instead.', '此处不支持发送文件：请改为分享链接。'),
  notify_file_name_missing: spec(400, 'never', 'Give the file a name with its extension (e.g. report.pdf).', '请为文件提供带扩展名的名称（例如 report.pdf）。'),
  notify_file_type_unsupported: spec(400, 'never', 'DingTalk robots cannot send this file type: convert it, or zip it.', '钉钉机器人不能发送该类型的文件：请转换格式或压缩后再发送。'),
  notify_file_empty: spec(400, 'never', 'The file is empty; nothing was sent.', '文件为空，未发送。'),
  notify_file_too_large: spec(400, 'never', 'DingTalk robots send files of at most 20 MB: share a link instead.', '钉钉机器人最多发送 20 MB 的文件：请改为分享链接。'),
  notify_file_needs_user_id: spec(400, 'never', "Files go through the DingTalk OpenAPI, which needs the recipient's userId.", '文件通过钉钉开放接口发送，需要接收人的 userId。'),
  notify_file_content_missing: spec(400, 'never', "Pass the file's bytes as content_base64 with fileName; the plugin does not read the server's disk.", '请以 content_base64 传入文件内容并提供 fileName；插件不读取服务器磁盘。'),
  notify_file_content_invalid: spec(400, 'never', 'content_base64 is not valid base64; nothing was sent.', 'content_base64 不是有效的 base64，未发送。'),
  notify_timeout: spec(504, 'never', 'DingTalk did not answer in time; the send may or may not have happened, so it is not repeated blindly.', '钉钉未及时响应；发送结果不确定，因此不会盲目重复。'),
  notify_internal_error: spec(500, 'never', 'The tool failed unexpectedly; see the server log.', '工具意外失败；请查看服务器日志。'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/** The catalogue entry of a code; undefined for codes the plugin does not know (foreign errors). */
export function errorSpec(code: unknown): ErrorSpec | undefined {
  return isErrorCode(code) ? ERROR_CATALOGUE[code] : undefined;
}

/** The admin-facing text of a code in the given language (`zh…` → Chinese, else English). */
export function adminMessage(code: ErrorCode, language?: string): string {
  const entry = ERROR_CATALOGUE[code];
  return language?.toLowerCase().startsWith('zh') ? entry.zh : entry.en;
}

/**
 * Whether no retry can fix `error`: a catalogued code marked `never`. Errors without a catalogued
 * code (a TypeError, a driver error) are not called permanent: the queue retries them, and after the
 * last attempt they are dead letters with their message.
 */
export function isPermanentError(error: unknown): boolean {
  const entry = errorSpec(codeOf(error));
  if (!entry) return false;
  // A DingTalk answer can be more precise than its code: a used-up daily quota is throttling that
  // no retry fixes, and says so with `retryable: false`.
  return entry.retry === 'never' || retryableFlag(error) === false;
}

/** Whether the DingTalk client may repeat the call that failed with `error` (within the call). */
export function retriesInCall(error: unknown): boolean {
  return errorSpec(codeOf(error))?.retry === 'client' && retryableFlag(error) !== false;
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function retryableFlag(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { retryable?: unknown }).retryable : undefined;
}
