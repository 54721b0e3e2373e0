import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { WorkerArgs } from './get-or-set-worker.ts';

/** A line a worker printed. */
export type WorkerLine =
  | { type: 'ready' | 'done' }
  | { type: 'factory'; stale: unknown }
  | { type: 'event'; event: string }
  | { type: 'result'; value?: unknown; error?: string };

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const entry = fileURLToPath(new URL('./get-or-set-worker.ts', import.meta.url));
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/**
 * A Node process running getOrSet against the same memcached (`get-or-set-worker.ts`, through
 * tsx, the package from its src/). Killed after the file if it is still running.
 */
export class Worker {
  readonly lines: WorkerLine[] = [];
  readonly #child: ChildProcess;
  readonly #listeners = new Set<() => void>();
  readonly exited: Promise<number | null>;

  private constructor(args: WorkerArgs) {
    const child = spawn(
      process.execPath,
      ['--conditions=@clonepool/source', '--import', 'tsx', entry, JSON.stringify(args)],
      {
        cwd: packageDir,
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.#child = child;
    // A worker whose calls all settled has exited and reads no more: a late "go" to it is lost, not an error.
    child.stdin!.on('error', () => {});
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        running.delete(child);
        resolve(code);
        for (const listener of this.#listeners) listener();
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as WorkerLine);
      for (const listener of this.#listeners) listener();
    });
  }

  /** Starts a worker and waits until it is ready to call. */
  static async start(args: WorkerArgs): Promise<Worker> {
    const worker = new Worker(args);
    await worker.until((line) => line.type === 'ready');
    return worker;
  }

  /** Resolves once `count` lines match `match`; rejects if the process exits first. */
  until(match: (line: WorkerLine) => boolean, count = 1): Promise<WorkerLine[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.filter(match);
        if (found.length >= count) {
          this.#listeners.delete(check);
          resolve(found);
        } else if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
          this.#listeners.delete(check);
          reject(new Error(`the worker exited after ${JSON.stringify(this.lines)}`));
        }
      };
      this.#listeners.add(check);
      check();
    });
  }

  send(line: 'start' | 'go'): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.stdin!.write(`${line}\n`);
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  /** What its calls resolved or rejected with. */
  results(): Array<{ value?: unknown; error?: string | undefined }> {
    return this.lines.flatMap((line) => (line.type === 'result' ? [{ value: line.value, error: line.error }] : []));
  }

  count(type: 'factory'): number;
  count(type: 'event', event: string): number;
  count(type: string, event?: string): number {
    return this.lines.filter(
      (line) => line.type === type && (event === undefined || ('event' in line && line.event === event)),
    ).length;
  }
}
