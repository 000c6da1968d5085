/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and answers where the time
 * went: self and total time per function (file and line), and self time per package
 * or source file, as shares of the busy time (idle excluded).
 */

/** The parts of a `.cpuprofile` this reader uses. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's time, in microseconds and as a share of busy time. */
export interface FunctionTime {
  readonly name: string;
  /** `file:line` (1-based), relative to the repository when inside it. */
  readonly location: string;
  readonly selfMicros: number;
  readonly totalMicros: number;
  readonly selfShare: number;
  readonly totalShare: number;
}

/** Time grouped by where the code lives: a package, a source file, node's internals. */
export interface GroupTime {
  readonly group: string;
  readonly selfMicros: number;
  readonly selfShare: number;
}

/** Time charged to the innermost function of the repository's own code on the stack. */
export interface OwnCodeTime {
  readonly name: string;
  readonly location: string;
  /** Its own time plus that of the libraries, runtime and native code it called. */
  readonly micros: number;
  readonly share: number;
}

/** The summary of one profile. */
export interface ProfileSummary {
  /** Sampled time that was not idle, in microseconds. */
  readonly busyMicros: number;
  readonly idleMicros: number;
  readonly functions: readonly FunctionTime[];
  readonly groups: readonly GroupTime[];
  /**
   * Busy time split by the innermost function of the repository's own code on the stack
   * (not node_modules, not Node's internals): where a fix in this codebase would go.
   * Time with no such function on its stack is under `(no own code)`.
   */
  readonly ownCode: readonly OwnCodeTime[];
}

const IDLE = '(idle)';
const META = new Set(['(root)', '(program)', IDLE]);

function shortPath(url: string, root: string): string {
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (file === '') return '';
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

/** Where code lives: `node_modules/<package>`, a repository file, `node:internal`... */
export function groupOf(url: string, root: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const file = shortPath(url, root);
  const nm = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (nm) return `package ${nm[1]}`;
  return file;
}

/** Summarises a profile; `root` shortens paths inside the repository. */
export function summariseProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    // V8 records the time since the previous sample with each sample.
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  let idleMicros = 0;
  let busyMicros = 0;
  for (const [id, micros] of self) {
    const name = byId.get(id)?.callFrame.functionName;
    if (name === IDLE) idleMicros += micros;
    else busyMicros += micros;
  }

  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const where = (id: number) => {
    const frame = byId.get(id)!.callFrame;
    const file = shortPath(frame.url, root);
    return file === '' ? '' : `${file}:${frame.lineNumber + 1}`;
  };

  const keyOf = (id: number) => {
    const frame = byId.get(id)!.callFrame;
    let location = where(id);
    // A native function (a syscall, SQLite, a builtin) is named by its JavaScript caller,
    // so that `run` reads as the query that ran it.
    if (location === '' && !frame.functionName.startsWith('(')) {
      for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
        const caller = where(at);
        if (caller === '') continue;
        location = `native, from ${byId.get(at)!.callFrame.functionName || '(anonymous)'} ${caller}`;
        break;
      }
    }
    return {
      key: `${frame.functionName || '(anonymous)'}\u0000${location}`,
      name: frame.functionName || '(anonymous)',
      location,
      group: frame.functionName.startsWith('(') ? frame.functionName : groupOf(frame.url, root),
    };
  };

  const isOwn = (id: number) => {
    const file = shortPath(byId.get(id)!.callFrame.url, root);
    // Inside the repository (a relative path), and neither a dependency nor Node itself.
    return (
      file !== '' &&
      !file.startsWith('/') &&
      !file.startsWith('node:') &&
      !file.includes('node_modules/')
    );
  };
  const own = new Map<string, { name: string; location: string; micros: number }>();

  const functions = new Map<
    string,
    { name: string; location: string; self: number; total: number }
  >();
  const groups = new Map<string, number>();
  const entry = (id: number) => {
    const k = keyOf(id);
    let f = functions.get(k.key);
    if (!f) {
      f = { name: k.name, location: k.location, self: 0, total: 0 };
      functions.set(k.key, f);
    }
    return { f, k };
  };

  for (const [id, micros] of self) {
    if (byId.get(id)?.callFrame.functionName === IDLE) continue;
    let ownAt: number | undefined = id;
    while (ownAt !== undefined && !isOwn(ownAt)) ownAt = parent.get(ownAt);
    const ownKey =
      ownAt === undefined
        ? { key: '(no own code)', name: '(no own code)', location: '' }
        : {
            key: `${byId.get(ownAt)!.callFrame.functionName}\u0000${where(ownAt)}`,
            name: byId.get(ownAt)!.callFrame.functionName || '(anonymous)',
            location: where(ownAt),
          };
    const ownEntry = own.get(ownKey.key) ?? {
      name: ownKey.name,
      location: ownKey.location,
      micros: 0,
    };
    ownEntry.micros += micros;
    own.set(ownKey.key, ownEntry);
  }

  // Total time: a node's self time counts once for every distinct function on its stack,
  // so that recursion is not counted twice.
  for (const [id, micros] of self) {
    const { f, k } = entry(id);
    f.self += micros;
    groups.set(k.group, (groups.get(k.group) ?? 0) + micros);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const e = entry(at);
      if (seen.has(e.k.key)) continue;
      seen.add(e.k.key);
      e.f.total += micros;
    }
  }

  const share = (micros: number) => (busyMicros > 0 ? micros / busyMicros : 0);
  return {
    busyMicros,
    idleMicros,
    functions: [...functions.values()]
      .filter((f) => !META.has(f.name))
      .map((f) => ({
        name: f.name,
        location: f.location,
        selfMicros: f.self,
        totalMicros: f.total,
        selfShare: share(f.self),
        totalShare: share(f.total),
      })),
    groups: [...groups.entries()]
      .filter(([group]) => group !== IDLE && group !== '(root)')
      .map(([group, micros]) => ({ group, selfMicros: micros, selfShare: share(micros) }))
      .sort((a, b) => b.selfMicros - a.selfMicros),
    ownCode: [...own.values()]
      .map((o) => ({ ...o, share: share(o.micros) }))
      .sort((a, b) => b.micros - a.micros),
  };
}

/** The `n` functions with the most self time (or total time), largest first. */
export function topFunctions(
  summary: ProfileSummary,
  n: number,
  by: 'self' | 'total',
): FunctionTime[] {
  const key = by === 'self' ? 'selfMicros' : 'totalMicros';
  return [...summary.functions].sort((a, b) => b[key] - a[key]).slice(0, n);
}
