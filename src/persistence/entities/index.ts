import { AccessRefusalEntity } from './access-refusal.entity';
import { ActionUseEntity } from './action-use.entity';
import { AggregateEntity } from './aggregate.entity';
import { AppBudgetEntity } from './app-budget.entity';
import { CardRouteEntity } from './card-route.entity';
import { ConversationBindingEntity } from './conversation-binding.entity';
import { DispatchRunEntity } from './dispatch-run.entity';
import { HandoffEntity } from './handoff.entity';
import { InboxEntity } from './inbox.entity';
import { OutboxEntity } from './outbox.entity';
import { RunStopEntity } from './run-stop.entity';
import { SeenGroupEntity } from './seen-group.entity';
import { TriggerBindingEntity } from './trigger-binding.entity';

export * from './access-refusal.entity';
export * from './action-use.entity';
export * from './aggregate.entity';
export * from './app-budget.entity';
export * from './card-route.entity';
export * from './conversation-binding.entity';
export * from './dispatch-run.entity';
export * from './handoff.entity';
export * from './inbox.entity';
export * from './outbox.entity';
export * from './run-stop.entity';
export * from './seen-group.entity';
export * from './table-names';
export * from './trigger-binding.entity';

/** The entity list of the plugin DataSource. */
export const PLUGIN_ENTITIES = [
  TriggerBindingEntity,
  ConversationBindingEntity,
  InboxEntity,
  HandoffEntity,
  AggregateEntity,
  OutboxEntity,
  DispatchRunEntity,
  ActionUseEntity,
  CardRouteEntity,
  AppBudgetEntity,
  AccessRefusalEntity,
  SeenGroupEntity,
  RunStopEntity,
];
