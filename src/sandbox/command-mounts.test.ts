import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildBwrapArgs } from './bwrap.js';
import { resolveCommandMounts } from './command-mounts.js';

/** A fake install tree: <root>/opt/tool/bin/tool (a `#!/usr/bin/env runtime` script) and <root>/opt/rt/bin/runtime. */
function tree(): { root: string; path: string } {
  const root = mkdtempSync(join(tmpdir(), 'toolport-mounts-'));
  for (const dir of ['opt/tool/bin', 'opt/rt/bin', 'shims', 'data']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'opt/rt/bin/runtime'), 'binary');
  writeFileSync(join(root, 'opt/tool/bin/tool'), '#!/usr/bin/env runtime\n');
  chmodSync(join(root, 'opt/tool/bin/tool'), 0o755);
  symlinkSync(join(root, 'opt/tool/bin/tool'), join(root, 'shims/tool'));
  return { root, path: [join(root, 'shims'), join(root, 'opt/rt/bin')].join(':') };
}

describe('resolveCommandMounts', () => {
  it("binds the command's install prefix and its #! interpreter's, and runs the real file", () => {
    const { root, path } = tree();
    const mounts = resolveCommandMounts('tool', { searchPath: path, protect: [join(root, 'data')] });
    expect(mounts.executable).toBe(join(root, 'opt/tool/bin/tool'));
    expect(mounts.readOnly).toEqual([join(root, 'opt/tool'), join(root, 'opt/rt')]);
    expect(mounts.pathDirs).toEqual([join(root, 'opt/tool/bin'), join(root, 'opt/rt/bin')]);
  });

  it('never binds a folder holding the protected data folder, nor one inside it', () => {
    const { root, path } = tree();
    const mounts = resolveCommandMounts('tool', {
      searchPath: path,
      protect: [join(root, 'opt/tool/bin')],
      extra: [join(root, 'opt/tool/bin/tool'), root],
    });
    expect(mounts.readOnly).toEqual([join(root, 'opt/rt')]);
  });

  it('adds the allowlist paths, and nothing under the system folders', () => {
    const { root, path } = tree();
    const script = join(root, 'server.js');
    writeFileSync(script, '');
    const mounts = resolveCommandMounts('tool', {
      searchPath: `${path}:/usr/bin`,
      protect: [],
      extra: [script, '/usr/lib'],
    });
    expect(mounts.readOnly).toContain(script);
    expect(mounts.readOnly).not.toContain('/usr/lib');
  });

  it('fails with upstream_unavailable for a command that is not on the path', () => {
    expect(() => resolveCommandMounts('no-such-tool-xyz', { searchPath: '/nonexistent', protect: [] })).toThrow(
      expect.objectContaining({ code: 'upstream_unavailable' }),
    );
  });
});

describe('buildBwrapArgs', () => {
  it('unshares everything (network included), dies with the parent, and mounts /proc of its own pid namespace', () => {
    const args = buildBwrapArgs({ network: false, readOnly: ['/opt/x'], scratch: '/s' });
    expect(args.slice(0, 3)).toEqual(['--unshare-all', '--die-with-parent', '--new-session']);
    expect(args).not.toContain('--share-net');
    expect(args).not.toContain('--clearenv');
    expect(args.join(' ')).toContain('--ro-bind /opt/x /opt/x');
    // Scratch comes before the read-only binds, so a bind below scratch lands on top of it.
    expect(args.join(' ')).toContain('--bind /s /s --ro-bind /opt/x /opt/x --proc /proc --dev /dev --chdir /s');
    expect(args.slice(-2)).toEqual(['--remount-ro', '/']);
  });

  it('makes scratch a sized tmpfs and binds extra mounts at their own place inside', () => {
    const args = buildBwrapArgs({
      network: false,
      readOnly: [],
      scratch: '/s',
      scratchBytes: 1024,
      mounts: [['/host/private', '/run/toolport']],
    }).join(' ');
    expect(args).toContain('--size 1024 --tmpfs /s --ro-bind /host/private /run/toolport');
    expect(args).not.toContain('--bind /s /s');
    expect(args).not.toContain('/etc/resolv.conf');
  });

  it('clears and sets the environment only when given one', () => {
    const args = buildBwrapArgs({ network: true, readOnly: [], scratch: '/s', env: { A: '1' } });
    expect(args).toContain('--clearenv');
    expect(args).toContain('--share-net');
    expect(args.slice(-3)).toEqual(['--setenv', 'A', '1']);
  });
});
