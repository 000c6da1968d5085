import fs from 'node:fs';
import os from 'node:os';

/** What a result was measured on, printed with every table. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly os: string;
  readonly node: string;
  /** ISO date and time of the run, UTC. */
  readonly date: string;
  /** The open-files soft limit the benchmark ran with. */
  readonly openFiles: string;
  /** Load average over the last minute when the run started: above 0.5 means a busy machine. */
  readonly loadAverage: number;
}

/** The soft and hard open-files limits of this process, from /proc (Linux). */
export function openFilesLimit(): { soft: string; hard: string } | null {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
    return match ? { soft: match[1]!, hard: match[2]! } : null;
  } catch {
    return null;
  }
}

/** Describes this machine: CPU model, cores, memory, OS, Node version, date. */
export function describeMachine(now = new Date()): Machine {
  const cpus = os.cpus();
  const limit = openFilesLimit();
  const before = process.env.BENCH_NOFILE_BEFORE;
  let openFiles = limit ? limit.soft : 'unknown';
  if (limit && before !== undefined && before !== limit.soft) {
    openFiles = `${limit.soft} (raised from ${before} by bench/bin/bench.sh)`;
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${Math.round(os.totalmem() / 1024 ** 3)} GB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    openFiles,
    loadAverage: os.loadavg()[0] ?? 0,
  };
}

/** One line for a report: CPU, cores, memory, OS, Node, limits, load, date. */
export function formatMachine(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memory} RAM, ${machine.os}, Node ${machine.node}; open-files limit ${machine.openFiles}; load average ${machine.loadAverage.toFixed(2)} at the start; ${machine.date}`;
}
