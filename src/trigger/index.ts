/** The DingTalk workflow trigger (binds an integration to the expert that publishes it). */
export { DingTalkTriggerStrategy } from './dingtalk-trigger.strategy';
export { TriggerCallbacks, type TriggerCallback } from './trigger-callbacks';
export { TriggerPublisher, type PublishOutcome, type TriggerPublisherDeps } from './trigger-publisher';
export { TriggerValidator, type TriggerValidatorDeps } from './trigger-validator';
export { TRIGGER_CHECK, type TriggerCheckCode } from './trigger-checklist';
export { readTriggerConfig, clampTriggerConfig, toBindingConfig, TRIGGER_LIMITS, type DingTalkTriggerConfig } from './trigger-config';
export { triggerMeta } from './trigger.meta';
