/**
 * This package's version, the instrumentation's `instrumentationVersion`
 * and its tracer's and meter's version. Kept equal to package.json's by a
 * test (CommonJS and ES modules alike cannot read package.json without
 * `import.meta` or a JSON import): bump both together.
 */
export const VERSION = '0.0.0';
