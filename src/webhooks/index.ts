/**
 * Webhooks per project: subscriptions (secret shown once), a dispatcher that POSTs signed JSON for connector
 * events with retries and a delivery log, and the signature helpers receivers use.
 *
 * @example
 * const webhooks = new WebhookService({ store });
 * const dispatcher = new WebhookDispatcher({ store, events: registry });
 */
export { WebhookService, WEBHOOK_EVENTS } from './internal/service.js';
export type { WebhookServiceOptions, WebhookSummary, WebhookInput } from './internal/service.js';
export { WebhookDispatcher } from './internal/dispatcher.js';
export type { WebhookDispatcherOptions, WebhookPayload } from './internal/dispatcher.js';
export { signWebhook, verifyWebhook } from './internal/signature.js';
export { checkWebhookUrl, isPublicAddress } from './internal/target-policy.js';
