import { z } from 'zod';

export const WEBHOOK_EVENT_TYPES = [
  'meeting.started',
  'meeting.ended',
  'participant.joined',
  'participant.admitted',
  'participant.left',
  'participant.role_changed',
  'call_record.written',
] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

const iso = z.string().describe('ISO 8601 UTC date-time');

export const DeliveryOutcomeSchema = z.object({
  at: iso,
  eventId: z.string(),
  eventType: WebhookEventType,
  meetingId: z.string(),
  attempt: z.number().int(),
  /** delivered: 2xx; failed: will be retried; gave_up: not delivered within webhooks.retryForMs. */
  outcome: z.enum(['delivered', 'failed', 'gave_up']),
  /** The receiver's HTTP status (null: no response). */
  status: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type DeliveryOutcome = z.infer<typeof DeliveryOutcomeSchema>;

/** A stored endpoint. The secret is kept to sign with, and shown only in the create response. */
export const WebhookEndpointRecord = z.object({
  id: z.string(),
  /** null: a global endpoint (operator), receiving every company's events. */
  companyId: z.string().nullable(),
  url: z.string(),
  description: z.string(),
  /** Event types sent; empty = all. */
  events: z.array(WebhookEventType),
  active: z.boolean(),
  createdAt: iso,
  secret: z.string(),
});
export type WebhookEndpointRecord = z.infer<typeof WebhookEndpointRecord>;

export const WebhookEndpointView = WebhookEndpointRecord.omit({ secret: true }).extend({
  lastDelivery: DeliveryOutcomeSchema.nullable(),
  /** Events waiting to be delivered to it. */
  pending: z.number().int(),
  /** Events given up on since it was created. */
  gaveUp: z.number().int(),
});
export type WebhookEndpointView = z.infer<typeof WebhookEndpointView>;

/** What one POST carries (the JSON body). */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  /** When it happened (ISO). */
  createdAt: string;
  companyId: string;
  meetingId: string;
  data: Record<string, unknown>;
}
