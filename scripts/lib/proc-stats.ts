/** CPU time and resident memory of a process, from /proc (Linux only). */
import { readFileSync } from 'node:fs';

/** USER_HZ on Linux: the unit of the CPU times in /proc/<pid>/stat. */
const CLK_TCK = 100;

/** Resident memory of process `pid` in bytes (`VmRSS` of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(kb) * 1024;
}

/** Resident memory of process `pid` in MiB. */
export const rssMiB = (pid: number): number => rssBytes(pid) / 2 ** 20;

/** CPU time used so far (user + system, in clock ticks) and resident memory of process `pid`. */
export function procStat(pid: number): { cpuTicks: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the parenthesized command name; utime, stime are fields 14 and 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuTicks: Number(fields[11]) + Number(fields[12]), rssBytes: rssBytes(pid) };
}

/** CPU use (% of one core, 1 decimal) between two `procStat().cpuTicks` readings `seconds` apart. */
export const cpuPct = (fromTicks: number, toTicks: number, seconds: number): number =>
  Math.round(((toTicks - fromTicks) / CLK_TCK / seconds) * 1000) / 10;
