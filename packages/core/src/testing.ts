/**
 * `TestClient`, a stand-in clonable client for trying and testing pools
 * without a server. It needs no test runner; the conformance suite that pools
 * it under vitest is `@clonepool/core/conformance`.
 *
 * @packageDocumentation
 * @module @clonepool/core/testing
 */
export { TestClient, type TestClientOptions } from './test-client.js';
