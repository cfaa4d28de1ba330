import type { ServerContext } from '@modelcontextprotocol/server';
import type { Logger, ToolProgress } from '../../core/index.js';

/** Relays progress when the client asked for it (`_meta.progressToken`); nothing is sent after `finish`. */
export function progressReporter(
  ctx: ServerContext,
  logger: Logger,
): { context: { onProgress?: (p: ToolProgress) => void }; finish(): Promise<void> } {
  const token = ctx.mcpReq._meta?.progressToken;
  let last: Promise<void> = Promise.resolve();
  let finished = false;
  const finish = (): Promise<void> => {
    finished = true;
    return last;
  };
  if (token === undefined) return { context: {}, finish };
  const onProgress = (p: ToolProgress): void => {
    if (finished) return;
    const params: Record<string, unknown> = { progressToken: token, progress: p.progress };
    if (p.total !== undefined) params.total = p.total;
    if (p.message !== undefined) params.message = p.message;
    last = ctx.mcpReq.notify({ method: 'notifications/progress', params }).catch((err: unknown) => {
      logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'progress notification dropped');
    });
  };
  return { context: { onProgress }, finish };
}
