/**
 * Helpers for trying and testing pools without a server or a test runner:
 * `TestClient`, a stand-in clonable client; `seededRandom`, a replayable
 * random source; and `warningsDuring`, which collects the process warnings
 * some code emits. None needs a test runner; the conformance suite that
 * pools `TestClient` under vitest is `@clonepool/core/conformance`.
 *
 * @packageDocumentation
 * @module @clonepool/core/testing
 */
export { seededRandom } from './seeded-random.js';
export { TestClient, type TestClientOptions } from './test-client.js';
export { warningsDuring } from './warnings-during.js';
