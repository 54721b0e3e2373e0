import type { CommandContext, Key } from '@clonepool/memcached';

/**
 * How a client method shows in a span: the memcached command it sends
 * (`db.operation.name`), whether it is a batch of such commands, and the
 * shape of its `db.query.text` (`{}` for the key; values and TTLs as `?`).
 */
interface Operation {
  readonly name: string;
  /** `setMulti` and `deleteMulti` send one command per key: a batch, as the conventions count one. */
  readonly batch: boolean;
  /** The query text of one key; a multi-key `get` puts every key on one line instead. */
  readonly text: string;
}

const op = (name: string, text: string, batch = false): Operation => Object.freeze({ name, batch, text });

/**
 * The driver's commands (`CommandContext.command`, the client method) and the
 * memcached command each sends. `getMulti` is one `get` naming many keys,
 * which the conventions do not count as a batch (their example is Redis's
 * `MGET`); `setMulti` and `deleteMulti` send one `set` or `delete` per key.
 */
const OPERATIONS: Readonly<Record<string, Operation>> = Object.freeze({
  get: op('get', 'get {}'),
  gets: op('gets', 'gets {}'),
  gat: op('gat', 'gat ? {}'),
  gats: op('gats', 'gats ? {}'),
  getMulti: op('get', 'get {}'),
  set: op('set', 'set {} ?'),
  add: op('add', 'add {} ?'),
  replace: op('replace', 'replace {} ?'),
  append: op('append', 'append {} ?'),
  prepend: op('prepend', 'prepend {} ?'),
  cas: op('cas', 'cas {} ? ?'),
  setMulti: op('set', 'set {} ?', true),
  delete: op('delete', 'delete {}'),
  deleteMulti: op('delete', 'delete {}', true),
  incr: op('incr', 'incr {} ?'),
  decr: op('decr', 'decr {} ?'),
  touch: op('touch', 'touch {} ?'),
  flushAll: op('flush_all', 'flush_all'),
  stats: op('stats', 'stats'),
  version: op('version', 'version'),
  verbosity: op('verbosity', 'verbosity ?'),
});

/** The operation of a command; one the table does not know (a newer driver's) keeps the method's name. */
export function operationOf(command: string): Operation {
  return OPERATIONS[command] ?? op(command, `${command} {}`);
}

/**
 * `db.operation.name` of one call: a batch of two commands or more (or of
 * none) is `BATCH <command>`; a batch of one is that command, as the
 * conventions ask.
 */
export function operationName(operation: Operation, count: number): string {
  return operation.batch && count !== 1 ? `BATCH ${operation.name}` : operation.name;
}

/** Whether a call is a batch by the conventions' count: a batch command with other than one item. */
export function isBatch(operation: Operation, count: number): boolean {
  return operation.batch && count !== 1;
}

/**
 * `db.query.text` of a call, for users who opt in to recording keys: the
 * command with its keys as the caller gave them (bytes read as UTF-8),
 * values and TTLs as `?`; a batch joins its commands with `; `, as the
 * conventions ask; a multi-key `get` names every key on one line, as
 * memcached reads it.
 */
export function queryText(operation: Operation, key: CommandContext['key']): string | undefined {
  if (key === undefined) return undefined;
  if (!Array.isArray(key)) return operation.text.replace('{}', () => keyText(key as Key));
  const keys = (key as readonly Key[]).map(keyText);
  if (operation.batch) return keys.map((text) => operation.text.replace('{}', () => text)).join('; ');
  return operation.text.replace('{}', () => keys.join(' '));
}

const decoder = new TextDecoder();

function keyText(key: Key): string {
  return typeof key === 'string' ? key : decoder.decode(key);
}
