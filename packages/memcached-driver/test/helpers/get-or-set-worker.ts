// One process of the cross-process getOrSet tests: it makes its own client, says "ready", waits
// for "start" on stdin (so every process calls at once), runs `calls` concurrent getOrSet calls and
// reports, one JSON line each, every factory run, every get-or-set channel event and every result.
// A factory with `gate` waits for "go" on stdin before it returns or throws; `hang` never does (the
// test kills the process).
import { subscribe } from 'node:diagnostics_channel';
import { createInterface } from 'node:readline';
import { Client, channelNames, type GetOrSetMessage, type GetOrSetOptions } from '@clonepool/memcached';

export interface WorkerArgs {
  readonly server: string;
  readonly prefix: string;
  readonly key: string;
  readonly calls: number;
  readonly options: GetOrSetOptions;
  /** What the factory does: return `value`, throw, or never settle. */
  readonly factory: 'value' | 'throw' | 'hang';
  readonly value?: unknown;
  /** The factory waits for "go" on stdin first. */
  readonly gate?: boolean;
}

const args = JSON.parse(process.argv[2]!) as WorkerArgs;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const input = createInterface({ input: process.stdin });
const waiting = new Map<string, () => void>();
input.on('line', (line) => {
  waiting.get(line)?.();
  waiting.delete(line);
});
const heard = (line: string) => new Promise<void>((resolve) => waiting.set(line, resolve));

subscribe(channelNames.getOrSet, (message) => {
  const { event } = message as GetOrSetMessage;
  say({ type: 'event', event });
});

const client = new Client(args.server, { keyPrefix: args.prefix });
const factory = async ({ stale }: { stale: unknown }) => {
  say({ type: 'factory', stale: stale ?? null });
  if (args.factory === 'hang') await new Promise(() => {});
  if (args.gate) await heard('go');
  if (args.factory === 'throw') throw new Error('the database is down');
  return args.value;
};
say({ type: 'ready' });
await heard('start');
await Promise.all(
  Array.from({ length: args.calls }, () =>
    client.getOrSet(args.key, factory, args.options).then(
      (value) => say({ type: 'result', value }),
      (error: { code?: string; message: string }) => say({ type: 'result', error: error.code ?? error.message }),
    ),
  ),
);
say({ type: 'done' });
await client.close();
input.close();
