import { cpuSecondsOf, machineBusySeconds } from '../lib/processes.js';

/**
 * CPU by group of processes (the nodes, the balancer, each engine, the generator) over
 * a window. The members of a group are asked for at the start and again at the end, so
 * that a process that appeared meanwhile (a new PostgreSQL backend) is counted too.
 */

/** A named set of processes, e.g. `nodes` or `PostgreSQL`. */
export interface ProcessGroup {
  readonly name: string;
  /** The group's process ids now. */
  readonly pids: () => Promise<readonly number[]>;
}

/** Cores each group used over the window, and what the rest of the machine used. */
export interface GroupReading {
  readonly cores: ReadonlyMap<string, number>;
  readonly otherCores: number;
  readonly seconds: number;
}

function cpuOrNull(pid: number): number | null {
  try {
    return cpuSecondsOf(pid);
  } catch {
    return null;
  }
}

/** Starts measuring `groups`; the answer's `stop()` reads the window. */
export async function measureGroups(
  groups: readonly ProcessGroup[],
): Promise<{ stop(): Promise<GroupReading> }> {
  const startedAt = performance.now();
  const machineAtStart = machineBusySeconds();
  const atStart = new Map<number, number>();
  for (const group of groups) {
    for (const pid of await group.pids()) {
      const cpu = cpuOrNull(pid);
      if (cpu !== null) atStart.set(pid, cpu);
    }
  }
  return {
    async stop() {
      const pidsNow = await Promise.all(groups.map((group) => group.pids()));
      const seconds = (performance.now() - startedAt) / 1000;
      const machine = (machineBusySeconds() - machineAtStart) / seconds;
      const cores = new Map<string, number>();
      const counted = new Set<number>();
      let ours = 0;
      groups.forEach((group, i) => {
        // A group with no process (no balancer in front of the embedded default) is absent,
        // not free.
        if ((pidsNow[i] ?? []).length === 0) return;
        let used = 0;
        for (const pid of new Set([...(pidsNow[i] ?? [])])) {
          if (counted.has(pid)) continue;
          counted.add(pid);
          const now = cpuOrNull(pid);
          if (now === null) continue;
          used += now - (atStart.get(pid) ?? 0);
        }
        cores.set(group.name, used / seconds);
        ours += used / seconds;
      });
      return { cores, otherCores: Math.max(0, machine - ours), seconds };
    },
  };
}
