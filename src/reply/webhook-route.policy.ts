/** The route rule lives with the delivery; the answer path uses it as is. */
export { sessionWebhookDecision, type WebhookDecision, type WebhookPolicyInput } from '../delivery/route.policy';
