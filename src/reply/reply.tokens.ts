/**
 * Nest token under which the plugin module provides the `ReplyPort` implementation (the reply
 * path's ReplyService); the conversation engine injects it. Symbol.for, so every copy of this module
 * in one process names the same token.
 */
export const REPLY_PORT = Symbol.for('xpert.plugin.dingtalk.replyPort');
