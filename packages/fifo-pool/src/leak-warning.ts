/**
 * The warning a {@link ClientPool} emits (`process.emitWarning`) when a lease
 * is held longer than its `leakDetectionMs` option: code `CLONEPOOL_LEAK`,
 * and a stack that is where the lease was reserved, not where the warning
 * fired, so it points at the code that forgot to release.
 *
 * @example
 * ```ts
 * import { ClientPool, type LeaseLeakWarning } from '@clonepool/fifo-pool';
 *
 * process.on('warning', (warning) => {
 *   if ((warning as LeaseLeakWarning).code === 'CLONEPOOL_LEAK') console.log(warning.message);
 * });
 * const pool = new ClientPool({ clone: () => ({}) }, 1, { leakDetectionMs: 10 });
 * const lease = await pool.reserve();
 * await new Promise((resolve) => setTimeout(resolve, 30));
 * lease.release();
 * await pool.close();
 * // → A lease was held longer than leakDetectionMs (10 ms) and is still out; the stack shows where it was reserved. Release every lease (use() or await using do it for you).
 * ```
 */
export class LeaseLeakWarning extends Error {
  /** `CLONEPOOL_LEAK` */
  static readonly code = 'CLONEPOOL_LEAK';
  /** `CLONEPOOL_LEAK`, for `process.on('warning')` listeners. */
  readonly code: string = LeaseLeakWarning.code;
  /** The threshold the lease passed, in milliseconds. */
  readonly leakDetectionMs: number;

  /**
   * @param leakDetectionMs - The threshold the lease passed.
   * @param reservedAt - The stack frames (`    at …` lines) where the lease was reserved.
   */
  constructor(leakDetectionMs: number, reservedAt: string) {
    super(
      `A lease was held longer than leakDetectionMs (${leakDetectionMs} ms) and is still out; ` +
        'the stack shows where it was reserved. Release every lease (use() or await using do it for you).',
    );
    this.name = 'LeaseLeakWarning';
    this.leakDetectionMs = leakDetectionMs;
    this.stack = `${this.name}: ${this.message}\n${reservedAt}`;
  }
}

/** Captures the current stack below `above` as `    at …` lines, for a later {@link LeaseLeakWarning}. */
export function captureReserveSite(above: (...args: never[]) => unknown): string {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, above);
  const stack = site.stack ?? '';
  const firstFrame = stack.indexOf('\n');
  return firstFrame === -1 ? '' : stack.slice(firstFrame + 1);
}
