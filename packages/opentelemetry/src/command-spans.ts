import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type CommandContext, channelNames } from '@clonepool/memcached';
import {
  type Attributes,
  context,
  type Exception,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { classify } from './error-type.js';
import { isBatch, operationName, operationOf, queryText } from './operations.js';
import {
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_MEMCACHED_KEY_COUNT,
  DB_SYSTEM_NAME_MEMCACHED,
} from './semconv.js';
import { Targets } from './targets.js';

/** The `TracingChannel` events a span needs, by their channel names. */
const START = `tracing:${channelNames.command}:start`;
const ERROR = `tracing:${channelNames.command}:error`;
const ASYNC_END = `tracing:${channelNames.command}:asyncEnd`;

/** A command's trace context, holding its span (under this tracer's own symbol) until it ends. */
type Traced = CommandContext & Record<symbol, Span | undefined>;

/** What a span of one command starts with: its name (the operation, until the server is known) and options. */
interface Start {
  readonly name: string;
  readonly options: SpanOptions;
}

/**
 * One CLIENT span per command of every `@clonepool/memcached` client, made
 * from the driver's `clonepool:memcached:command` tracing channel:
 *
 * - `start` is published synchronously in the caller's call, so the span's
 *   parent is the context active there (`context.active()`): a request's span,
 *   however many requests share one pipelined connection. Nothing else is
 *   needed to keep the parentage: the span rides on the trace context object
 *   itself, not in an async context, so the socket callback that resolves the
 *   reply (in the client's own context, not the caller's) never has to find it.
 * - `asyncEnd` (the reply) and `error` (a rejection) end it, after naming the
 *   server the client routed the command to.
 *
 * The span is never made the active context: a command is a leaf, and the
 * caller's own continuation after `await` runs in the caller's context, as it
 * would untraced.
 */
export class CommandSpans {
  /** The tracer of the commands that start from now on. */
  tracer: Tracer;
  /** Whether the commands that start from now on record their keys. */
  recordKeys = false;
  /** This instance's slots on trace contexts (so two instrumentations never end each other's spans): the span, and its operation. */
  readonly #slot = Symbol('span');
  readonly #operationSlot = Symbol('operation');
  readonly #targets = new Targets();
  /** The start of each command without per-call attributes, made once. */
  readonly #starts = new Map<string, Start>();
  #subscribed = false;

  /** @param tracer - The tracer to start with. */
  constructor(tracer: Tracer) {
    this.tracer = tracer;
  }

  subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    subscribe(START, this.#onStart);
    subscribe(ERROR, this.#onError);
    subscribe(ASYNC_END, this.#onAsyncEnd);
  }

  unsubscribe(): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    unsubscribe(START, this.#onStart);
    unsubscribe(ERROR, this.#onError);
    unsubscribe(ASYNC_END, this.#onAsyncEnd);
  }

  readonly #onStart = (message: unknown): void => {
    const traced = message as Traced;
    const start = this.#start(traced);
    traced[this.#slot] = this.tracer.startSpan(start.name, start.options, context.active());
    (traced as unknown as Record<symbol, string>)[this.#operationSlot] = start.name;
  };

  readonly #onAsyncEnd = (message: unknown): void => {
    const traced = message as Traced;
    // A rejection was ended by #onError; `in`, since a promise may reject with undefined.
    if ('error' in traced) return;
    const span = traced[this.#slot];
    if (span === undefined) return; // started before this instrumentation was enabled
    traced[this.#slot] = undefined;
    this.#nameServer(traced, span);
    span.end();
  };

  /** A rejection (or a throw, which the driver never does: then no asyncEnd follows, so the span ends here). */
  readonly #onError = (message: unknown): void => {
    const traced = message as Traced;
    const span = traced[this.#slot];
    if (span === undefined) return;
    traced[this.#slot] = undefined;
    this.#nameServer(traced, span);
    const error = traced.error;
    const { type, statusCode } = classify(error);
    span.setAttribute(ATTR_ERROR_TYPE, type);
    if (statusCode !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, statusCode);
    if (typeof error === 'object' && error !== null) span.recordException(error as Exception);
    const description = (error as { message?: unknown } | null | undefined)?.message;
    span.setStatus(
      typeof description === 'string'
        ? { code: SpanStatusCode.ERROR, message: description }
        : { code: SpanStatusCode.ERROR },
    );
    span.end();
  };

  /** The start of a command: shared by every call of a single-key command, made per call for a multi-key one or with keys recorded. */
  #start(traced: Traced): Start {
    const { command, key } = traced;
    const multi = Array.isArray(key);
    const recordKeys = this.recordKeys;
    if (!multi && !(recordKeys && key !== undefined)) {
      const start = this.#starts.get(command);
      if (start !== undefined) return start;
    }
    const operation = operationOf(command);
    const count = multi ? (key as readonly unknown[]).length : 1;
    const name = operationName(operation, count);
    const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_MEMCACHED, [ATTR_DB_OPERATION_NAME]: name };
    if (multi) {
      attributes[ATTR_MEMCACHED_KEY_COUNT] = count;
      if (isBatch(operation, count)) attributes[ATTR_DB_OPERATION_BATCH_SIZE] = count;
    }
    if (recordKeys) {
      const text = queryText(operation, key);
      if (text !== undefined) attributes[ATTR_DB_QUERY_TEXT] = text;
    }
    if (!multi && !(recordKeys && key !== undefined)) {
      // Shared by every span of the command: the SDK copies attributes, and nothing may change these.
      const start: Start = Object.freeze({
        name,
        options: Object.freeze({ kind: SpanKind.CLIENT, attributes: Object.freeze(attributes) }),
      });
      this.#starts.set(command, start);
      return start;
    }
    return { name, options: { kind: SpanKind.CLIENT, attributes } };
  }

  /** Names the server the client routed the command to, when it went to one: its attributes, and the span name's target. */
  #nameServer(traced: Traced, span: Span): void {
    const server = traced.server;
    if (server === undefined) return;
    const target = this.#targets.of(server);
    span.setAttributes(target.attributes);
    span.updateName(
      this.#targets.spanName(target, (traced as unknown as Record<symbol, string>)[this.#operationSlot]!),
    );
  }
}
