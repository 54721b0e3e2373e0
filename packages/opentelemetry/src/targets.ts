import type { Attributes } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from './semconv.js';

/** A server as spans name it: its attributes, and the span names of the operations sent to it. */
export interface Target {
  /** `server.address`, and `server.port` for a TCP server. */
  readonly attributes: Attributes;
  /** The span name of each operation on this server: `get 10.0.0.5:11211`, the conventions' `{operation} {target}`. */
  readonly spanNames: Map<string, string>;
  /** `{target}`: `host:port` (an IPv6 host without brackets, as `server.address` holds it), or the socket path. */
  readonly label: string;
}

/**
 * The servers seen so far, by the driver's label: a client has a handful, so
 * each is parsed once and its attributes object reused by every span.
 */
export class Targets {
  readonly #known = new Map<string, Target>();

  /** The target of a driver label: `host:port`, `[v6]:port` or a socket path. */
  of(label: string): Target {
    let target = this.#known.get(label);
    if (target === undefined) {
      target = parse(label);
      this.#known.set(label, target);
    }
    return target;
  }

  /** The span name of `operation` on `target`, made once. */
  spanName(target: Target, operation: string): string {
    let name = target.spanNames.get(operation);
    if (name === undefined) {
      name = `${operation} ${target.label}`;
      target.spanNames.set(operation, name);
    }
    return name;
  }
}

function parse(label: string): Target {
  if (label.startsWith('/')) {
    return { attributes: Object.freeze({ [ATTR_SERVER_ADDRESS]: label }), spanNames: new Map(), label };
  }
  const colon = label.lastIndexOf(':');
  const host = label.startsWith('[') ? label.slice(1, colon - 1) : label.slice(0, colon);
  const port = Number(label.slice(colon + 1));
  return {
    attributes: Object.freeze({ [ATTR_SERVER_ADDRESS]: host, [ATTR_SERVER_PORT]: port }),
    spanNames: new Map(),
    label: `${host}:${port}`,
  };
}
