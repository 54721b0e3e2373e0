// Runs an example's programs in child processes, as `pnpm start` would; shared by every example's smoke tests.
import { type ChildProcess, spawn } from 'node:child_process';

/** A program running in a child process, with its output collected. */
export interface Running {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves the first stdout match of `pattern`, once it is printed (rejects if the program exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves the exit code (or 128 + signal number) once the program has exited. */
  readonly exited: Promise<number>;
}

/** Starts `file` with node + tsx from source, in `dir`. */
function run(dir: string, file: string, env: NodeJS.ProcessEnv, args: readonly string[]): Running {
  const child = spawn(process.execPath, ['--conditions=@clonepool/source', '--import', 'tsx', file, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const started = Date.now();
      for (;;) {
        const match = out.match(pattern);
        if (match !== null) return match;
        if (done) throw new Error(`exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`);
        if (Date.now() - started > timeoutMs)
          throw new Error(`no ${pattern} in ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/**
 * The programs of the example in `dir` (its folder): `run(file, env, args)`
 * starts one with node + tsx from source, in that folder.
 */
export function programsIn(dir: string): {
  run(file: string, env?: NodeJS.ProcessEnv, args?: readonly string[]): Running;
} {
  return { run: (file, env = {}, args = []) => run(dir, file, env, args) };
}

/** Whether a process with this pid still exists (a zombie counts: it has not been reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
