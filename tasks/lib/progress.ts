/**
 * A progress bar for long work, on stderr, only on a terminal and never with --json.
 */
import { Presets, SingleBar } from "cli-progress";

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progress(label: string, json: boolean): Progress {
  if (json || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/**
 * A progress bar for work in phases (a replay reads logs, then views): a new bar for
 * each phase, labelled with it. `update` fits the replay's `onProgress`.
 */
export function phasedProgress(
  label: string,
  json: boolean,
): { update(p: { phase: string; done: number; total: number }): void; stop(): void } {
  let phase = "";
  let bar: Progress = { update: () => undefined, stop: () => undefined };
  return {
    update(p) {
      if (p.phase !== phase) {
        bar.stop();
        phase = p.phase;
        bar = progress(`${label} ${phase}`, json);
      }
      bar.update(p.done, p.total);
    },
    stop: () => bar.stop(),
  };
}
