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

/** The URL schemes a TCP server may be written with (`memcached://host:port`), as users paste them. */
const TCP_SCHEMES = new Set(['memcached', 'memcache', 'tcp']);
/** A URL's scheme and what follows its `//`. */
const URL_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;

/**
 * Parses one server spec as pylibmc spells it: `"host"`, `"host:port"`,
 * `"host:port:weight"`, `"[::1]"`, `"[::1]:port[:weight]"` or `"/path/to/sock"`;
 * or as a URL: `"memcached://host:port"` (also `memcache://`, `tcp://`, with a
 * trailing `/` or not) or `"unix:///path/to/sock"`. Throws {@link InvalidServerError}.
 */
export function parseServer(spec: unknown): ServerAddress {
  if (typeof spec !== 'string') throw new InvalidServerError(spec, 'a server spec must be a string');
  let text = spec.trim();
  if (text === '') throw new InvalidServerError(spec, 'it is empty');
  const url = URL_FORM.exec(text);
  if (url !== null) text = fromUrl(spec, url[1]!.toLowerCase(), url[2]!);
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

/**
 * The plain spec a URL stands for: `host[:port]` for `memcached://`, `memcache://` and
 * `tcp://` (a trailing `/` allowed), the socket path for `unix:///path`. Credentials, a
 * path, a query string or a fragment are refused: memcached has no databases, and
 * options (credentials included) are the client's options.
 */
function fromUrl(spec: string, scheme: string, rest: string): string {
  if (scheme === 'unix') {
    if (!rest.startsWith('/'))
      throw new InvalidServerError(spec, 'a unix:// URL takes an absolute path, as in "unix:///run/memcached.sock"');
    return rest;
  }
  if (!TCP_SCHEMES.has(scheme)) {
    throw new InvalidServerError(
      spec,
      `the scheme "${scheme}:" is not memcached's; write "memcached://host:port" or "host:port"`,
    );
  }
  if (rest.startsWith('/')) {
    throw new InvalidServerError(spec, `a socket path is written "unix://${rest}" or "${rest}"`);
  }
  if (rest.includes('@')) {
    throw new InvalidServerError(spec, 'the URL holds credentials; give them as the username and password options');
  }
  const query = rest.search(/[?#]/);
  if (query !== -1) {
    const what = rest[query] === '?' ? 'a query string' : 'a fragment';
    throw new InvalidServerError(spec, `the URL has ${what}; give settings as the client's options`);
  }
  const slash = rest.indexOf('/');
  if (slash !== -1 && slash !== rest.length - 1) {
    throw new InvalidServerError(
      spec,
      `the URL has a path (${JSON.stringify(rest.slice(slash))}); memcached has none, write "${scheme}://${rest.slice(0, slash)}"`,
    );
  }
  const host = slash === -1 ? rest : rest.slice(0, slash);
  if (host === '') throw new InvalidServerError(spec, 'the URL has no host');
  return host;
}

function integer(text: string, spec: unknown, what: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidServerError(spec, `the ${what} "${text}" is not a whole number`);
  return Number(text);
}
