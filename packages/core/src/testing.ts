export { type ConformanceSubject, describePoolConformance, type MakeConformanceSubject } from './conformance.js';
export { TestClient, type TestClientOptions } from './test-client.js';
