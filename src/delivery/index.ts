/**
 * Delivery: how anything the plugin says reaches DingTalk, for the streamed answer (`src/reply`)
 * and the notify tools (`src/notify`) alike — one message type, one route rule, one outbox state
 * machine, one card create-or-adopt, one outTrackId scheme, one markdown splitter, and the API
 * budget each app shares across replicas.
 */
export * from './outgoing-message';
export * from './route.policy';
export * from './send-once';
export * from './robot-send';
export * from './message-delivery';
export * from './card-space';
export * from './card-delivery';
export * from './stream-pacer';
export * from './app-budget';
export * from './budget.heartbeat';
export * from './abandoned-card.sweeper';
export * from './replica-id';
export { splitMarkdown, MARKDOWN_CHUNK_MAX_BYTES } from '../dingtalk/outbound';
