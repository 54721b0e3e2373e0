/**
 * OpenTelemetry traces and pool metrics for `@clonepool/memcached` and the
 * clonepool pools, from their diagnostics channels: no patching, and nothing
 * paid while it is disabled.
 *
 * @packageDocumentation
 * @module @clonepool/opentelemetry
 */
export type { ClonepoolInstrumentationConfig } from './config.js';
export { ClonepoolInstrumentation } from './instrumentation.js';
