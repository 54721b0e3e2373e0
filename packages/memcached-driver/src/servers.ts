import { isIP } from 'node:net';
import type { DistributionServer } from './distribution/index.js';
import { InvalidServerError } from './errors.js';

/**
 * The port a server spec without one gets, memcached's default.
 *
 * @example
 * ```ts
 * import { Client, DEFAULT_PORT } from '@clonepool/memcached';
 *
 * const client = new Client('cache.internal');
 * console.log(DEFAULT_PORT, client.servers);
 * // → 11211 [ 'cache.internal:11211' ]
 * ```
 */
export const DEFAULT_PORT = 11211;

/** A server spec after parsing. */
export interface ServerAddress extends DistributionServer {
  /** The socket path for a UNIX socket server, else `undefined`. */
  readonly path: string | undefined;
  /** How errors and `stats()` name the server: `host:port`, `[v6]:port`, or the path. */
  readonly label: string;
}

/**
 * Parses one server spec as pylibmc spells it: `"host"`, `"host:port"`,
 * `"host:port:weight"`, `"[::1]"`, `"[::1]:port[:weight]"` or `"/path/to/sock"`.
 * Throws {@link InvalidServerError}.
 */
export function parseServer(spec: unknown): ServerAddress {
  if (typeof spec !== 'string') throw new InvalidServerError(spec, 'a server spec must be a string');
  const text = spec.trim();
  if (text === '') throw new InvalidServerError(spec, 'it is empty');
  if (text.startsWith('/')) {
    if (/[\0\r\n]/.test(text)) throw new InvalidServerError(spec, 'the socket path holds a control character');
    return Object.freeze({ host: text, port: 0, weight: 1, path: text, label: text });
  }
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw new InvalidServerError(spec, 'the IPv6 address has no closing "]"');
    host = text.slice(1, close);
    if (isIP(host) !== 6) throw new InvalidServerError(spec, `"${host}" is not an IPv6 address`);
    rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new InvalidServerError(spec, 'expected ":port" after "]"');
    rest = rest.slice(1);
  } else {
    const colon = text.indexOf(':');
    if (colon !== -1 && text.indexOf(':', colon + 1) !== -1 && isIP(text) === 6) {
      throw new InvalidServerError(spec, 'an IPv6 address needs brackets, as in "[::1]:11211"');
    }
    host = colon === -1 ? text : text.slice(0, colon);
    rest = colon === -1 ? '' : text.slice(colon + 1);
    if (host === '' || !/^[A-Za-z0-9._-]+$/.test(host))
      throw new InvalidServerError(spec, `"${host}" is not a host name`);
  }
  let port = DEFAULT_PORT;
  let weight = 1;
  if (rest === '' && text.endsWith(':')) throw new InvalidServerError(spec, 'the port after ":" is missing');
  if (rest !== '') {
    const parts = rest.split(':');
    if (parts.length > 2) throw new InvalidServerError(spec, 'too many ":" parts');
    port = integer(parts[0]!, spec, 'port');
    if (port < 1 || port > 65535) throw new InvalidServerError(spec, `port ${port} is outside 1–65535`);
    if (parts.length === 2) {
      weight = integer(parts[1]!, spec, 'weight');
      if (weight < 1) throw new InvalidServerError(spec, 'the weight must be at least 1');
    }
  }
  const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return Object.freeze({ host, port, weight, path: undefined, label });
}

/**
 * Parses a server list: one spec, a comma-separated string of specs (as
 * `MEMCACHED_SERVERS` holds them), or an array of specs.
 */
export function parseServers(servers: unknown): readonly ServerAddress[] {
  let specs: unknown[];
  if (typeof servers === 'string') specs = servers.split(',');
  else if (Array.isArray(servers)) specs = servers;
  else throw new InvalidServerError(servers, 'servers must be a string or an array of strings');
  if (specs.length === 0) throw new InvalidServerError('', 'the server list is empty');
  return Object.freeze(specs.map(parseServer));
}

function integer(text: string, spec: unknown, what: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidServerError(spec, `the ${what} "${text}" is not a whole number`);
  return Number(text);
}
