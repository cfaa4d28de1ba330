import { execFile } from 'node:child_process';

/** Whether bubblewrap runs here, and why not when it does not. */
export interface BwrapStatus {
  available: boolean;
  reason?: string;
}

/** What one sandboxed process may see and do; everything else of the host stays invisible. */
export interface BwrapOptions {
  /** Share the host network namespace (`--share-net`); otherwise the process has no network, not even loopback. */
  network: boolean;
  /** Host paths bound read-only at the same place (each must exist), in this order. */
  readOnly: readonly string[];
  /** The one writable folder, also the working directory. */
  scratch: string;
  /**
   * Variables set with `--clearenv` + `--setenv` (visible in the host's process list: no secrets). Omit to let the
   * sandbox inherit bwrap's own environment — then the caller must spawn bwrap with a scrubbed one.
   */
  env?: Readonly<Record<string, string>>;
  /** Scratch as a private tmpfs of this many bytes instead of a bind of the host folder (a hard size limit). */
  scratchBytes?: number;
  /** Host paths bound read-only at another place inside (`[host, inside]`), e.g. a private folder at /run/x. */
  mounts?: readonly (readonly [string, string])[];
}

const bwrapStatus = new Map<string, Promise<BwrapStatus>>();

/** Checks once per process and command whether bubblewrap can create a sandbox here (user namespaces may be off). */
export function detectBwrap(command = 'bwrap'): Promise<BwrapStatus> {
  const known = bwrapStatus.get(command);
  if (known) return known;
  const status = new Promise<BwrapStatus>((resolve) => {
    const args = [
      '--unshare-all',
      '--die-with-parent',
      '--ro-bind',
      '/usr',
      '/usr',
      '--ro-bind-try',
      '/bin',
      '/bin',
      '--ro-bind-try',
      '/lib',
      '/lib',
      '--ro-bind-try',
      '/lib64',
      '/lib64',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      'true',
    ];
    execFile(command, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err) resolve({ available: true });
      else resolve({ available: false, reason: (stderr || err.message).trim().split('\n')[0] ?? 'bwrap failed' });
    });
  });
  bwrapStatus.set(command, status);
  return status;
}

/** Read-only system folders every sandbox sees (where they exist). */
export const SYSTEM_DIRS: readonly string[] = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64'];
// The few /etc files an interpreter and TLS/DNS need; the rest of /etc (shadow, the server's config) stays invisible.
const ETC_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/group',
  '/etc/hosts',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/mime.types',
];
const NETWORK_ETC = ['/etc/resolv.conf', '/etc/gai.conf', '/etc/host.conf'];

/** True when `path` (absolute) lies in one of the system folders every sandbox already sees. */
export function isSystemPath(path: string): boolean {
  return SYSTEM_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

/**
 * The bwrap arguments (before the command) of a sandbox: every namespace unshared — its own pid namespace with a
 * fresh /proc, no network unless asked, a new session (no terminal injection) — the system folders and the given
 * paths read-only, one writable scratch folder, a read-only root, and death with the parent.
 *
 * @example
 * spawn('bwrap', [...buildBwrapArgs({ network: false, readOnly: ['/opt/tool'], scratch }), '/opt/tool/bin/tool'], { env });
 */
export function buildBwrapArgs(options: BwrapOptions): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session'];
  if (options.env) args.push('--clearenv');
  if (options.network) args.push('--share-net');
  for (const dir of SYSTEM_DIRS) args.push('--ro-bind-try', dir, dir);
  for (const file of [...ETC_FILES, ...(options.network ? NETWORK_ETC : [])]) args.push('--ro-bind-try', file, file);
  // Scratch first: read-only binds below it (an analysed upload) are mounted on top of it.
  if (options.scratchBytes) args.push('--size', String(options.scratchBytes), '--tmpfs', options.scratch);
  else args.push('--bind', options.scratch, options.scratch);
  for (const path of options.readOnly) args.push('--ro-bind', path, path);
  for (const [host, inside] of options.mounts ?? []) args.push('--ro-bind', host, inside);
  args.push('--proc', '/proc', '--dev', '/dev', '--chdir', options.scratch);
  // The sandbox root is a tmpfs holding the mount points: make it read-only too, so the
  // scratch bind really is the only writable place.
  args.push('--remount-ro', '/');
  for (const [key, value] of Object.entries(options.env ?? {})) args.push('--setenv', key, value);
  return args;
}
