// progress.ts — progress bars for long work (cli-progress on stderr): value/total, steps/s, ETA and
// an optional loss. Off when stdout or stderr is not a TTY or --json is given, so logs and pipes
// stay clean; TENSORDIFF_PROGRESS=1 forces it on, =0 off.
import * as cliProgress from 'cli-progress';

/** A progress bar, or a no-op when bars are off. */
export interface Progress {
  /** Sets the number of finished units (and the loss shown, if any). */
  update(value: number, loss?: number): void;
  /** Removes the timer; the bar stays on screen. Safe to call twice. */
  stop(): void;
}

/** Whether bars are shown: TENSORDIFF_PROGRESS=0/1 decides, else both stdout and stderr are TTYs and not --json. */
export function progressEnabled(json: boolean): boolean {
  const env = process.env.TENSORDIFF_PROGRESS;
  if (env === '0') return false;
  if (env === '1') return true;
  return !json && !!process.stdout.isTTY && !!process.stderr.isTTY;
}

const NOOP: Progress = { update() {}, stop() {} };

/**
 * Starts a bar `label [=====     ] 40% | 400/1000 | 85.1 steps/s | ETA 7s | loss 0.91`.
 * @param total units of work (> 0)
 * @param enabled false gives a no-op bar
 * @param o.unit what is counted (default 'steps'); o.stream where to draw (default process.stderr)
 */
export function startProgress(label: string, total: number, enabled: boolean, o: { unit?: string; stream?: NodeJS.WritableStream } = {}): Progress {
  if (!Number.isFinite(total) || total <= 0) throw new RangeError(`startProgress: total must be a positive number, got ${total}`);
  if (!enabled) return NOOP;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate} ${o.unit ?? 'steps'}/s | ETA {eta_formatted}{loss}`,
      stream: o.stream ?? process.stderr,
      hideCursor: false,
      etaBuffer: 50,
      fps: 5,
      barsize: 24,
      noTTYOutput: process.env.TENSORDIFF_PROGRESS === '1',
    },
    cliProgress.Presets.legacy,
  );
  const t0 = Date.now();
  bar.start(total, 0, { rate: '-', loss: '' });
  let stopped = false;
  return {
    update(value: number, loss?: number) {
      if (stopped) return;
      const s = (Date.now() - t0) / 1000;
      bar.update(value, { rate: s > 0 ? (value / s).toFixed(1) : '-', loss: loss === undefined ? '' : ` | loss ${loss.toPrecision(3)}` });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
