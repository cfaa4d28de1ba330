/** A connector version as `/versions` lists it: `diff` is against the version before it. */
export interface VersionInfo {
  seq: number;
  version?: string;
  created_at?: string;
  current?: boolean;
  tool_count?: number;
  diff?: { added?: string[]; removed?: string[]; changed?: string[] };
}

/** The tool names a version has, replaying the per-version diffs from the first version on. */
function toolsAt(versions: VersionInfo[], seq: number): Set<string> {
  const tools = new Set<string>();
  for (const v of [...versions].sort((x, y) => x.seq - y.seq)) {
    if (v.seq > seq) break;
    for (const t of v.diff?.added ?? []) tools.add(t);
    for (const t of v.diff?.removed ?? []) tools.delete(t);
  }
  return tools;
}

/** Tools added, removed and changed going from version `from` to version `to` (either direction). */
export function diffBetween(
  versions: VersionInfo[],
  from: number,
  to: number,
): Required<NonNullable<VersionInfo['diff']>> {
  const a = toolsAt(versions, from);
  const b = toolsAt(versions, to);
  const [lo, hi] = from < to ? [from, to] : [to, from];
  const touched = new Set<string>();
  for (const v of versions) if (v.seq > lo && v.seq <= hi) for (const t of v.diff?.changed ?? []) touched.add(t);
  return {
    added: [...b].filter((t) => !a.has(t)).sort(),
    removed: [...a].filter((t) => !b.has(t)).sort(),
    changed: [...touched].filter((t) => a.has(t) && b.has(t)).sort(),
  };
}
