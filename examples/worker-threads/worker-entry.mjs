// The worker's entry point, in plain JavaScript: on Node 20 a worker does not
// apply the loaders of `--import` in its execArgv to its own modules, so it
// registers tsx itself before it imports the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
