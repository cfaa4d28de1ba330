import { readdir, readFile } from 'node:fs/promises';

/**
 * The variable that tags every process an unsandboxed upstream starts: a daemon that leaves the process group
 * (setsid + fork) still inherits it, so {@link killTagged} finds it after the group is gone.
 */
export const UPSTREAM_TAG = 'MCP_UPSTREAM_INSTANCE';

/**
 * SIGKILLs every process of this user whose environment carries `UPSTREAM_TAG=tag` (Linux `/proc`; elsewhere,
 * and for processes that cleared their environment, the process-group kill is all there is).
 */
export async function killTagged(tag: string): Promise<number> {
  const needle = `${UPSTREAM_TAG}=${tag}`;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return 0;
  }
  let killed = 0;
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .map(async (entry) => {
        try {
          const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
          if (!environ.split('\0').includes(needle)) return;
          process.kill(Number(entry), 'SIGKILL');
          killed += 1;
        } catch {
          // Not ours to read, or already gone.
        }
      }),
  );
  return killed;
}
