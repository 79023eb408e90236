export { WebhookDispatcher } from './dispatcher.js';
export { webhookEventsFrom } from './events.js';
export {
  WEBHOOK_EVENT_TYPES,
  WebhookEndpointView,
  WebhookEventType,
  DeliveryOutcomeSchema,
  type DeliveryOutcome,
  type WebhookEndpointRecord,
  type WebhookEvent,
} from './model.js';
export { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, newWebhookSecret, signWebhook, verifyWebhook } from './signature.js';
export { WebhookStore } from './store.js';
export { refuseTarget, isPrivateAddress } from './target.js';
