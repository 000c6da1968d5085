import { InspectorSession } from './inspector.js';
import { rssOf, waitFor, type ServiceProcess } from './processes.js';

/** A process's memory once settled: resident set and JavaScript heap in use. */
export interface MemorySample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

/**
 * Forces full garbage collections through the inspector, then waits until RSS stops
 * moving (three readings 250 ms apart within 0.5% of each other), and reads it. The
 * process must have been started with `inspect: true`.
 */
export async function settledMemory(service: ServiceProcess): Promise<MemorySample> {
  if (service.inspectorUrl === null) throw new Error(`${service.name} has no inspector`);
  const session = await InspectorSession.connect(service.inspectorUrl);
  try {
    // Two passes: the first can only free what the second's finalizers released.
    await session.collectGarbage();
    await session.collectGarbage();
    const readings: number[] = [];
    await waitFor(
      () => {
        readings.push(rssOf(service.pid));
        if (readings.length < 3) return false;
        const last = readings.slice(-3);
        const spread = (Math.max(...last) - Math.min(...last)) / Math.max(...last);
        return spread < 0.005;
      },
      `${service.name}'s RSS to settle`,
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const heap = await session.heapUsage();
    return { rssBytes: readings.at(-1)!, heapUsedBytes: heap.usedSize };
  } finally {
    await session.close();
  }
}
