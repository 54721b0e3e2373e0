/**
 * The conformance suite every pool strategy runs under vitest, and the `TestClient` it pools.
 *
 * @packageDocumentation
 * @module @clonepool/core/testing
 */
export { type ConformanceSubject, describePoolConformance, type MakeConformanceSubject } from './conformance.js';
export { TestClient, type TestClientOptions } from './test-client.js';
