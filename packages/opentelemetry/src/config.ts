import { checkOptions, InvalidArgumentError } from '@clonepool/core';

/**
 * The options of a {@link ClonepoolInstrumentation}: OpenTelemetry's
 * `InstrumentationConfig` (`enabled`) and this instrumentation's own. Every
 * option is optional; an unknown name is refused with `ERR_INVALID_ARG_VALUE`.
 *
 * @example
 * ```ts
 * import { ClonepoolInstrumentation, type ClonepoolInstrumentationConfig } from '@clonepool/opentelemetry';
 *
 * // Made disabled: nothing subscribes until enable() (or registerInstrumentations) says so.
 * const config: ClonepoolInstrumentationConfig = { enabled: false, recordKeys: true };
 * const instrumentation = new ClonepoolInstrumentation(config);
 * console.log(instrumentation.isEnabled, instrumentation.getConfig());
 * // → false { enabled: false, recordKeys: true }
 * ```
 */
export interface ClonepoolInstrumentationConfig {
  /**
   * Whether the constructor enables the instrumentation, as every
   * OpenTelemetry instrumentation's does. With `false`, nothing is subscribed
   * until `enable()`; `registerInstrumentations` enables it either way.
   * @default true
   */
  readonly enabled?: boolean | undefined;
  /**
   * Record the keys of each command in `db.query.text` (`get user:1`,
   * `set user:1 ?`, `set a ?; set b ?` for a batch; values and TTLs never, as
   * `?`). Keys can hold personal data (an email, a session id): off unless
   * you opt in, as the conventions ask.
   * @default false
   */
  readonly recordKeys?: boolean | undefined;
}

/** The config after validation, every option filled in. */
export interface ParsedConfig {
  readonly enabled: boolean;
  readonly recordKeys: boolean;
}

const OPTIONS: readonly string[] = ['enabled', 'recordKeys'];

/** Validates a config; throws `InvalidArgumentError` for an unknown name or a value of the wrong type. */
export function parseConfig(config: ClonepoolInstrumentationConfig | undefined, where: string): ParsedConfig {
  if (config === undefined) return { enabled: true, recordKeys: false };
  const { enabled = true, recordKeys = false } = checkOptions(config, OPTIONS, where);
  return { enabled: flag('enabled', enabled), recordKeys: flag('recordKeys', recordKeys) };
}

function flag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(name, 'a boolean', value, 'option');
  return value;
}
