import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ParsedOptions } from './options.js';
import type { ServerAddress } from './servers.js';

/**
 * Opens a socket to `server`: TCP or a UNIX socket, or TLS with the server's name to verify
 * (the host, unless it is an address or `tls.servername` says otherwise). Listen for
 * `secureConnect` rather than `connect` on a TLS one.
 */
export function openSocket(server: ServerAddress, tls: ParsedOptions['tls']): Socket {
  if (tls === undefined) {
    return server.path !== undefined ? netConnect(server.path) : netConnect(server.port, server.host);
  }
  const target = server.path !== undefined ? { path: server.path } : { host: server.host, port: server.port };
  const servername = tls.servername ?? (server.path === undefined && isIP(server.host) === 0 ? server.host : undefined);
  return tlsConnect({ ...tls, ...target, ...(servername === undefined ? {} : { servername }) });
}
