import { createId, isoTime, silentLogger, systemClock, type Clock, type Logger } from '../../core/index.js';
import type { RegistryEvent } from '../../registry/types.js';
import type { Store, WebhookRecord } from '../../store/store.js';
import { postWebhook } from './post.js';
import { signWebhook } from './signature.js';

/** Options of the dispatcher. */
export interface WebhookDispatcherOptions {
  store: Store;
  /** The registry's event feed. */
  events: { subscribe(listener: (event: RegistryEvent) => void): () => void };
  allowPrivateNetworks?: boolean;
  logger?: Logger;
  clock?: Clock;
  /** Attempts per delivery, the first included. Default 5. */
  maxAttempts?: number;
  /** Delay before the first retry; doubled per attempt. Default 1 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** Most deliveries pending (queued or waiting for a retry); more are dropped and logged. Default 1000. */
  queueLimit?: number;
  /** Deliveries posted at once. Default 4. */
  concurrency?: number;
  /** Delivery log entries kept per webhook. Default 100. */
  keepDeliveries?: number;
}

/** The JSON body of a delivery. */
export interface WebhookPayload {
  id: string;
  type: string;
  tenant_id: string;
  project_id: string;
  connector: string | null;
  at: string;
  data: Record<string, unknown>;
}

interface Job {
  hook: WebhookRecord;
  deliveryId: string;
  type: string;
  body: string;
  attempt: number;
}

/**
 * Delivers registry events to project webhooks: signed JSON POSTs with retries and exponential backoff,
 * every attempt logged in the store. The registry never waits: events go to a bounded in-memory queue.
 */
export class WebhookDispatcher {
  readonly #options: Required<Omit<WebhookDispatcherOptions, 'store' | 'events' | 'logger' | 'clock'>>;
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #queue: Job[] = [];
  readonly #retries = new Set<ReturnType<typeof setTimeout>>();
  readonly #inFlight = new Set<Promise<void>>();
  #pending = 0;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#options = {
      allowPrivateNetworks: options.allowPrivateNetworks ?? false,
      maxAttempts: Math.max(1, options.maxAttempts ?? 5),
      backoffMs: options.backoffMs ?? 1_000,
      maxBackoffMs: options.maxBackoffMs ?? 60_000,
      timeoutMs: options.timeoutMs ?? 10_000,
      queueLimit: options.queueLimit ?? 1_000,
      concurrency: Math.max(1, options.concurrency ?? 4),
      keepDeliveries: options.keepDeliveries ?? 100,
    };
    this.#unsubscribe = options.events.subscribe((event) => this.#onEvent(event));
  }

  /** Deliveries queued or waiting for a retry. */
  get pending(): number {
    return this.#pending;
  }

  /** Stops listening, drops retries not yet due and waits for posts in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    this.#queue.length = 0;
    await Promise.allSettled([...this.#inFlight]);
  }

  #onEvent(event: RegistryEvent): void {
    // Events replayed from other nodes were delivered by the node that made the change.
    if (this.#closed || !event.type.startsWith('connector.') || event.data.remote === true) return;
    this.#store.listWebhooks(event.tenant_id, event.project_id).then(
      (hooks) => {
        for (const hook of hooks) if (hook.enabled && hook.events.includes(event.type)) this.#enqueue(hook, event);
      },
      (err: unknown) =>
        this.#logger.warn({ err: (err as Error).message, project: event.project_id }, 'webhook lookup failed'),
    );
  }

  #enqueue(hook: WebhookRecord, event: RegistryEvent): void {
    const deliveryId = createId('dlv');
    const payload: WebhookPayload = {
      id: deliveryId,
      type: event.type,
      tenant_id: event.tenant_id,
      project_id: event.project_id,
      connector: event.connector ?? null,
      at: event.at,
      data: event.data,
    };
    const job: Job = { hook, deliveryId, type: event.type, body: JSON.stringify(payload), attempt: 1 };
    if (this.#pending >= this.#options.queueLimit) {
      this.#logger.warn({ webhook_id: hook.id, event: event.type }, 'webhook queue full; delivery dropped');
      void this.#log(job, null, false, 'dropped: delivery queue full');
      return;
    }
    this.#pending += 1;
    this.#queue.push(job);
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight.size < this.#options.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      const run = this.#attempt(job).finally(() => {
        this.#inFlight.delete(run);
        this.#pump();
      });
      this.#inFlight.add(run);
    }
  }

  async #attempt(job: Job): Promise<void> {
    const timestamp = String(Math.floor(this.#clock.now() / 1000));
    const outcome = await postWebhook(
      job.hook.url,
      job.body,
      {
        'content-type': 'application/json',
        'user-agent': 'toolport-webhooks',
        'x-toolport-event': job.type,
        'x-toolport-delivery': job.deliveryId,
        'x-toolport-timestamp': timestamp,
        'x-toolport-signature': signWebhook(job.hook.secret, timestamp, job.body),
      },
      { timeoutMs: this.#options.timeoutMs, allowPrivateNetworks: this.#options.allowPrivateNetworks },
    );
    const logged = await this.#log(job, outcome.status, outcome.ok, outcome.error);
    if (outcome.ok || !logged || job.attempt >= this.#options.maxAttempts || this.#closed) {
      this.#pending -= 1;
      return;
    }
    const delay = Math.min(this.#options.backoffMs * 2 ** (job.attempt - 1), this.#options.maxBackoffMs);
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      if (this.#closed) return;
      this.#queue.push({ ...job, attempt: job.attempt + 1 });
      this.#pump();
    }, delay);
    timer.unref?.();
    this.#retries.add(timer);
  }

  /** Logs one attempt; false when the webhook is gone (deleted meanwhile), so retries stop. */
  async #log(job: Job, status: number | null, ok: boolean, error: string | null): Promise<boolean> {
    try {
      await this.#store.addWebhookDelivery(
        {
          id: job.deliveryId,
          webhook_id: job.hook.id,
          tenant_id: job.hook.tenant_id,
          event: job.type,
          attempt: job.attempt,
          status_code: status,
          ok,
          error,
          delivered_at: isoTime(this.#clock.now()),
        },
        this.#options.keepDeliveries,
      );
      return true;
    } catch (err) {
      this.#logger.debug({ webhook_id: job.hook.id, err: (err as Error).message }, 'webhook delivery not logged');
      return false;
    }
  }
}
