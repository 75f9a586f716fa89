// The machine line every bench prints: CPU model and the load average at the time of the run.
import os from 'node:os';

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** `CPU model, load a b c`. */
export const machine = () => `${os.cpus()[0]?.model ?? 'unknown CPU'}, load ${loadAverage()}`;
