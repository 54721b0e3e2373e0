// The contract between the client and key distribution. The client parses
// server specs (servers.ts) and asks a Distribution which server owns a key;
// the algorithms (modula, ketama, weighted ketama, and the hash functions
// libmemcached uses) live in this folder and match libmemcached exactly.

/** One server as the distribution sees it. */
export interface DistributionServer {
  /** Host name or address as written in the spec (no brackets for IPv6), or the socket path for a UNIX socket. */
  readonly host: string;
  /** TCP port; 0 for a UNIX socket. */
  readonly port: number;
  /** The weight from `host:port:weight`; 1 when not given. */
  readonly weight: number;
}

/** How keys are spread over servers; the names are pylibmc's. */
export type DistributionKind = 'modula' | 'ketama' | 'ketama-weighted';

/** Picks the server that owns a key. */
export interface Distribution {
  /**
   * The index, in the server list the distribution was made with, of the
   * server that owns `key` (the key as hashed: without the prefix unless the
   * client hashes it, see the docs).
   */
  serverFor(key: Uint8Array): number;
}

/**
 * Makes the distribution of `kind` over `servers`, computed as libmemcached computes it.
 *
 * Placeholder until the distribution algorithms land: serves a single server only.
 */
export function createDistribution(servers: readonly DistributionServer[], kind: DistributionKind): Distribution {
  if (servers.length !== 1) throw new Error(`distribution ${kind} over ${servers.length} servers is being written`);
  return { serverFor: () => 0 };
}
