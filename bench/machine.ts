// The conditions a figure was taken under, printed with it (figures are re-measured elsewhere).
import os from 'node:os';
import fs from 'node:fs';
import type { MachineConditions } from './figures';

export function machineConditions(): MachineConditions {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Resident set size and its peak (VmHWM) of a process in MiB (Linux /proc), or undefined when it has gone. */
export function processMemory(pid: number | undefined): { rssMiB: number; peakMiB: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    const rss = kb('VmRSS');
    if (Number.isNaN(rss)) return undefined;
    return { rssMiB: Math.round(rss / 1024), peakMiB: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}
