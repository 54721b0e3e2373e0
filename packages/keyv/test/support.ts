import { tracingChannel } from 'node:diagnostics_channel';
import { Client, type ClientOptions, type CommandContext, channelNames } from '@clonepool/memcached';
import { startMemcached, type TestMemcached } from '@clonepool/memcached/testing';
import { afterAll, beforeAll } from 'vitest';
import { KeyvMemcached } from '../src/index.ts';

let server: TestMemcached | undefined;
const clients = new Set<Client>();
const stores = new Set<KeyvMemcached>();

// One memcached per test file that imports this module (never 11211), and its clients and stores
// closed after the file.
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await Promise.all([...stores].map((store) => store.disconnect()));
  stores.clear();
  await Promise.all([...clients].map((client) => client.close()));
  clients.clear();
  await server?.stop();
});

/** The file's memcached. */
export function sharedServer(): string {
  if (server === undefined) throw new Error('the test memcached starts in beforeAll: call this from a test or hook');
  return server.address;
}

/** A prefix no other test (or run) uses, so the shared server's items never meet. */
export const uniquePrefix = (): string => `t${process.pid}${Math.random().toString(36).slice(2, 8)}:`;

/** A client on the shared server with a key prefix of its own, closed after the file. */
export function sharedClient(options: ClientOptions = {}): Client {
  const client = new Client(sharedServer(), { keyPrefix: uniquePrefix(), ...options });
  clients.add(client);
  return client;
}

/** A store on `client` (a fresh one on the shared server by default), disconnected after the file. */
export function sharedStore(client: Client = sharedClient(), namespace = 'keyv'): KeyvMemcached {
  const store = new KeyvMemcached(client);
  store.namespace = namespace;
  stores.add(store);
  return store;
}

/** A client or store to close after the file. */
export function track<T extends Client | KeyvMemcached>(resource: T): T {
  if (resource instanceof KeyvMemcached) stores.add(resource);
  else clients.add(resource);
  return resource;
}

/** The driver's command channel, as a user subscribes to it: by its name. */
const commands = tracingChannel<CommandContext, CommandContext>(channelNames.command);

/** Records the driver commands (`get`, `getMulti`, `incr`, …) that `run` sends, in order. */
export async function commandsOf(run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const subscriber = {
    start: (message: CommandContext) => seen.push(message.command),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: () => {},
  };
  commands.subscribe(subscriber);
  try {
    await run();
  } finally {
    commands.unsubscribe(subscriber);
  }
  return seen;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
