import { DEMO_HTTP, DEMO_STREAM } from '../../../sandbox/demo';

/**
 * The sandbox's two demo bots (one per connection mode) with an AI card template: answers stream
 * into one card each, which DingTalk keys by our outTrackId — the one send that stays exactly-once
 * even when a replica dies between DingTalk accepting it and our outbox recording it.
 */
export const CARD_TEMPLATE_ID = 'tpl.reliability.answer';

// With a card callback secret, a card callback is authenticated like every other HTTP callback.
export const RELIABILITY_HTTP = { ...DEMO_HTTP, options: { ...DEMO_HTTP.options, cardTemplateId: CARD_TEMPLATE_ID, cardCallbackSecret: 'reliability-card-callback-secret' } };
export const RELIABILITY_STREAM = { ...DEMO_STREAM, options: { ...DEMO_STREAM.options, cardTemplateId: CARD_TEMPLATE_ID } };

export type Mode = 'http' | 'stream';

export const integrationOf = (mode: Mode) => (mode === 'http' ? RELIABILITY_HTTP : RELIABILITY_STREAM);
