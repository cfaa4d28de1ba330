import {
  createError,
  createId,
  createToken,
  isoTime,
  systemClock,
  validationError,
  type Clock,
  type ValidationIssue,
} from '../../core/index.js';
import type { Store, WebhookDeliveryRecord, WebhookRecord } from '../../store/store.js';
import { checkWebhookUrl } from './target-policy.js';

/** Registry events a webhook can subscribe to (connector load/unload/update/status changes). */
export const WEBHOOK_EVENTS = [
  'connector.installed',
  'connector.updated',
  'connector.enabled',
  'connector.disabled',
  'connector.uninstalled',
  'connector.reloaded',
  'connector.status_changed',
] as const;

/** A webhook as listings show it: never the secret. */
export type WebhookSummary = Omit<WebhookRecord, 'secret'>;

/** Input of `create`. */
export interface WebhookInput {
  url: unknown;
  events?: unknown;
  secret?: unknown;
}

/** Options of the webhook service. */
export interface WebhookServiceOptions {
  store: Store;
  /** Lets targets on loopback/private addresses be registered (TOOLPORT_ALLOW_PRIVATE_NETWORKS=1). */
  allowPrivateNetworks?: boolean;
  /** Most webhooks per project. Default 20. */
  maxPerProject?: number;
  clock?: Clock;
}

const toSummary = ({ secret: _secret, ...rest }: WebhookRecord): WebhookSummary => rest;

/** Webhook subscriptions per project: create (secret shown once), list, delete, delivery log. */
export class WebhookService {
  readonly #store: Store;
  readonly #allowPrivate: boolean;
  readonly #max: number;
  readonly #clock: Clock;

  constructor(options: WebhookServiceOptions) {
    this.#store = options.store;
    this.#allowPrivate = options.allowPrivateNetworks ?? false;
    this.#max = options.maxPerProject ?? 20;
    this.#clock = options.clock ?? systemClock;
  }

  /** Creates a webhook; the returned `secret` is the only time it is shown. */
  async create(tenantId: string, projectId: string, input: WebhookInput): Promise<WebhookSummary & { secret: string }> {
    const url = checkWebhookUrl(input.url, this.#allowPrivate);
    const events = parseEvents(input.events);
    const secret = parseSecret(input.secret) ?? createToken('whsec');
    if (!(await this.#store.getProject(tenantId, projectId)))
      throw createError('not_found', `project ${projectId} not found`);
    const existing = await this.#store.listWebhooks(tenantId, projectId);
    if (existing.length >= this.#max) {
      throw createError(
        'limit_exceeded',
        `project ${projectId} already has ${existing.length} webhooks (the limit is ${this.#max})`,
        { limit: this.#max },
      );
    }
    const record: WebhookRecord = {
      id: createId('wh'),
      tenant_id: tenantId,
      project_id: projectId,
      url: url.toString(),
      secret,
      events,
      enabled: true,
      created_at: isoTime(this.#clock.now()),
    };
    await this.#store.createWebhook(record);
    return { ...toSummary(record), secret };
  }

  /** Webhooks of a project, without secrets. */
  async list(tenantId: string, projectId: string): Promise<WebhookSummary[]> {
    return (await this.#store.listWebhooks(tenantId, projectId)).map(toSummary);
  }

  /** Deletes a webhook of the project (`not_found` when it belongs elsewhere). */
  async delete(tenantId: string, projectId: string, id: string): Promise<void> {
    await this.#require(tenantId, projectId, id);
    if (!(await this.#store.deleteWebhook(tenantId, id))) throw createError('not_found', `webhook ${id} not found`);
  }

  /** The newest delivery attempts of a webhook of the project. */
  async deliveries(tenantId: string, projectId: string, id: string, limit = 50): Promise<WebhookDeliveryRecord[]> {
    await this.#require(tenantId, projectId, id);
    return this.#store.listWebhookDeliveries(tenantId, id, Math.min(Math.max(1, Math.trunc(limit)), 500));
  }

  async #require(tenantId: string, projectId: string, id: string): Promise<WebhookRecord> {
    const hook = (await this.#store.listWebhooks(tenantId, projectId)).find((h) => h.id === id);
    if (!hook) throw createError('not_found', `webhook ${id.slice(0, 64)} not found in project ${projectId}`);
    return hook;
  }
}

function parseEvents(raw: unknown): string[] {
  if (raw === undefined) return [...WEBHOOK_EVENTS];
  if (!Array.isArray(raw) || raw.length === 0) {
    throw validationError('webhook events are invalid', [
      { pointer: '/events', message: 'must be a non-empty array of event names' },
    ]);
  }
  const issues: ValidationIssue[] = [];
  const events = new Set<string>();
  raw.forEach((e: unknown, i) => {
    if (e === 'connector.*') WEBHOOK_EVENTS.forEach((name) => events.add(name));
    else if (typeof e === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(e)) events.add(e);
    else
      issues.push({ pointer: `/events/${i}`, message: `must be one of ${WEBHOOK_EVENTS.join(', ')} or connector.*` });
  });
  if (issues.length) throw validationError('webhook events are invalid', issues);
  return [...events];
}

function parseSecret(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length < 16 || raw.length > 256) {
    throw validationError('webhook secret is invalid', [
      { pointer: '/secret', message: 'must be a string of 16 to 256 characters' },
    ]);
  }
  return raw;
}
