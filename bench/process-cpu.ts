import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time so far of the processes the first-reply bench runs on, in ms. */
export interface CpuSample {
  /** This process: DingTalk's side (simulator, users, their signing). */
  bench: number;
  /** The host process with the plugin and the threads API it serves. */
  host: number;
  /** Every PostgreSQL process on the machine (server, backends, background workers). */
  postgres: number;
}

export function sampleCpu(hostPid: number): CpuSample {
  const own = process.cpuUsage();
  return { bench: (own.user + own.system) / 1000, host: procCpuMs(String(hostPid)) ?? 0, postgres: postgresCpuMs() };
}

export function cpuSince(start: CpuSample, end: CpuSample): CpuSample {
  return { bench: end.bench - start.bench, host: end.host - start.host, postgres: end.postgres - start.postgres };
}

/** utime + stime of one process from /proc/<pid>/stat; undefined once it is gone (or not Linux). */
function procCpuMs(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function postgresCpuMs(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    total += procCpuMs(pid) ?? 0;
  }
  return total;
}
