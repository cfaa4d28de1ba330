import { authHeaders, type Session } from './client';

/** One registry event as the server streams it. */
export interface RegistryEvent {
  id: number;
  type: string;
  tenant_id?: string;
  project_id?: string;
  connector?: string;
  [key: string]: unknown;
}

export interface EventStreamHandlers {
  onEvent(event: RegistryEvent): void;
  onState(connected: boolean): void;
  /** The token was revoked (401): the stream stops instead of retrying. */
  onUnauthorized(): void;
}

/**
 * Reads `/v1/events` with fetch (EventSource cannot send the Authorization header), parses the
 * Server-Sent Events framing and reconnects with Last-Event-ID after a drop. Returns a stop function.
 */
export function openEventStream(session: Session, handlers: EventStreamHandlers): () => void {
  const abort = new AbortController();
  let lastId = 0;
  let retryMs = 3000;

  const dispatch = (block: string): void => {
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) data += line.slice(5).trimStart();
      else if (line.startsWith('id:')) lastId = Number(line.slice(3).trim()) || lastId;
      else if (line.startsWith('retry:')) retryMs = Number(line.slice(6).trim()) || retryMs;
    }
    if (!data) return;
    try {
      handlers.onEvent(JSON.parse(data) as RegistryEvent);
    } catch {
      // A malformed event is skipped; the next refresh shows the state anyway.
    }
  };

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const response = await fetch('/v1/events', {
          headers: {
            ...authHeaders(session),
            accept: 'text/event-stream',
            ...(lastId ? { 'last-event-id': String(lastId) } : {}),
          },
          signal: abort.signal,
        });
        if (response.status === 401) {
          handlers.onState(false);
          handlers.onUnauthorized();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        handlers.onState(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      handlers.onState(false);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void run();
  return () => abort.abort();
}
