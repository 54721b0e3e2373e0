/**
 * The conformance suite every pool strategy runs under vitest: the `Pool`
 * contract as tests, run against clones of a `TestClient`. It imports
 * vitest, so it loads only inside a vitest test file; the `TestClient` alone
 * is `@clonepool/core/testing`.
 *
 * @packageDocumentation
 * @module @clonepool/core/conformance
 */
export {
  type ConformanceOptions,
  type ConformanceSubject,
  type ConformanceSuiteOptions,
  describePoolConformance,
  type MakeConformanceSubject,
} from './conformance-suite.js';
