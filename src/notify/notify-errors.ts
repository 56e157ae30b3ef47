import { DingTalkError, isDingTalkError, type ErrorCode } from '../kernel/errors';
import { isDingTalkApiError } from '../dingtalk/api-error';

/**
 * Failures turned into sentences a model can act on (and pass on to a person). Tools return these
 * as their result instead of throwing: a stack trace helps nobody in a chat.
 */

export interface NotifyFailure {
  code: string;
  text: string;
}

export const RECALL_EXPIRED_REASON = 'robot.processQueryKey.expired';

export const RECALL_EXPIRED_TEXT =
  'DingTalk only lets a bot recall a 1:1 message within 24 hours of sending it; this message is older, so it stays in the chat. Send a correction instead.';

export function notifyError(code: ErrorCode, message: string, details?: Record<string, unknown>): DingTalkError {
  return new DingTalkError(code, message, 400, details);
}

export function describeFailure(error: unknown, action: string): NotifyFailure {
  if (isDingTalkApiError(error)) {
    switch (error.code) {
      case 'dingtalk_permission_missing': {
        const scopes = error.requiredScopes.length ? error.requiredScopes.join(', ') : 'a permission it needs';
        return {
          code: error.code,
          text: `DingTalk refused to ${action}: the DingTalk app is missing the permission ${scopes}. An admin must grant ${scopes} in the DingTalk developer console → the app → Permission management (权限管理), then try again.`,
        };
      }
      case 'dingtalk_api_throttled':
        return { code: error.code, text: `DingTalk is rate-limiting this app, so it could not ${action} right now. Wait a minute before trying again.` };
      case 'dingtalk_credentials_invalid':
      case 'dingtalk_token_invalid':
        return { code: error.code, text: `Could not ${action}: DingTalk rejected the integration's Client ID / Client Secret. An admin must fix the DingTalk integration and click Test.` };
      case 'dingtalk_ip_not_allowed':
        return { code: error.code, text: `Could not ${action}: this server's IP address is not in the DingTalk app's IP whitelist. An admin must add it in the developer console.` };
      case 'dingtalk_timeout':
      case 'dingtalk_api_unavailable':
        return {
          code: error.code,
          text: `DingTalk did not answer in time while trying to ${action}. It may or may not have happened; do not repeat a send blindly — tell the user it is uncertain.`,
        };
      default:
        if (error.platformCode === RECALL_EXPIRED_REASON) return { code: 'notify_recall_expired', text: RECALL_EXPIRED_TEXT };
        return {
          code: error.code,
          text: `DingTalk rejected the request to ${action} (${error.platformCode}${error.platformMessage ? `: ${error.platformMessage}` : ''}).`,
        };
    }
  }
  if (isDingTalkError(error)) return { code: error.code, text: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'notify_internal_error', text: `Could not ${action}: ${message}` };
}
