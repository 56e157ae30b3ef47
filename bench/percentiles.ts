/** Latency summaries for figures the bench times itself (autocannon reports its own). */
export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles, rounded to 0.1 ms: no interpolation, so every figure is a real sample. */
export function summarize(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) return { p50Ms: NaN, p99Ms: NaN, maxMs: NaN };
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(sorted[sorted.length - 1]) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
