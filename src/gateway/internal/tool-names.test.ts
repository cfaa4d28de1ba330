import { describe, expect, it } from 'vitest';
import type { ConnectorView, ProjectSnapshot, RegisteredTool } from '../../registry/types.js';
import { MAX_TOOL_NAME_LENGTH, assignToolNames, getSnapshotViews } from './tool-names.js';

const VALID = /^[A-Za-z0-9_-]{1,64}$/;

function tool(connector: string, name: string, extra: Partial<RegisteredTool['definition']> = {}): RegisteredTool {
  return {
    connector,
    name,
    qualifiedName: `${connector}__${name}`,
    definition: { name, inputSchema: { type: 'object' }, ...extra },
    validate: () => null,
  };
}

function snapshot(tools: RegisteredTool[], connectors: string[]): ProjectSnapshot {
  return {
    tenantId: 't',
    projectId: 'p',
    revision: 1,
    tools,
    byQualifiedName: new Map(tools.map((t) => [t.qualifiedName, t])),
    connectors: new Map(connectors.map((c) => [c, { name: c } as ConnectorView])),
  };
}

describe('assignToolNames', () => {
  it('keeps names that are already valid', () => {
    expect(assignToolNames(['echo', 'a-b_C9'])).toEqual(['echo', 'a-b_C9']);
  });

  it('replaces invalid characters with underscores', () => {
    expect(assignToolNames(['get.user', 'hello world', 'ünï'])).toEqual(['get_user', 'hello_world', '_n_']);
  });

  it('shortens long names to 64 chars with a hash suffix, deterministically', () => {
    const long = 'x'.repeat(100);
    const [a] = assignToolNames([long]);
    expect(a).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(a).toMatch(/^x{55}_[0-9a-f]{8}$/);
    expect(assignToolNames([long])[0]).toBe(a);
  });

  it('never lets a renamed tool take the name of a valid one', () => {
    const names = assignToolNames(['a.b', 'a_b']);
    expect(names[1]).toBe('a_b');
    expect(names[0]).not.toBe('a_b');
    expect(names[0]).toMatch(/^a_b_[0-9a-f]{8}$/);
  });

  it('is collision-free and valid for many clashing names, independent of order', () => {
    const originals = ['a.b', 'a b', 'a/b', 'a_b', `${'y'.repeat(70)}1`, `${'y'.repeat(70)}2`, '', 'tool'];
    const names = assignToolNames(originals);
    expect(new Set(names).size).toBe(originals.length);
    for (const n of names) expect(n).toMatch(VALID);
    const reversed = assignToolNames([...originals].reverse()).reverse();
    expect(reversed).toEqual(names);
  });
});

describe('getSnapshotViews', () => {
  it('names project tools {connector}__{tool} and connector tools by their original names', () => {
    const snap = snapshot([tool('weather', 'get.forecast'), tool('echo', 'echo')], ['weather', 'echo', 'idle']);
    const views = getSnapshotViews(snap);
    expect(views.project.list.map((t) => t.name)).toEqual(['weather__get_forecast', 'echo__echo']);
    expect(views.project.byName.get('echo__echo')?.name).toBe('echo');
    expect(views.connector('weather')?.list.map((t) => t.name)).toEqual(['get_forecast']);
    expect(views.connector('idle')?.list).toEqual([]);
    expect(views.connector('missing')).toBeUndefined();
  });

  it('computes the maps once per snapshot object', () => {
    const snap = snapshot([tool('c', 't')], ['c']);
    expect(getSnapshotViews(snap)).toBe(getSnapshotViews(snap));
    expect(getSnapshotViews(snap).connector('c')).toBe(getSnapshotViews(snap).connector('c'));
    expect(getSnapshotViews(snapshot([tool('c', 't')], ['c']))).not.toBe(getSnapshotViews(snap));
  });

  it('advertises output schemas and annotations, and gives schemas without type an object type', () => {
    const snap = snapshot(
      [
        tool('c', 't', {
          inputSchema: { properties: { a: { type: 'string' } } },
          outputSchema: { type: 'object', properties: { r: { type: 'number' } } },
          annotations: { readOnlyHint: true },
          description: 'd',
        }),
      ],
      ['c'],
    );
    const [listed] = getSnapshotViews(snap).project.list;
    expect(listed).toEqual({
      name: 'c__t',
      description: 'd',
      inputSchema: { type: 'object', properties: { a: { type: 'string' } } },
      outputSchema: { type: 'object', properties: { r: { type: 'number' } } },
      annotations: { readOnlyHint: true },
    });
  });
});
