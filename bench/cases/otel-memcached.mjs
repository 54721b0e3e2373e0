// memcached (3rd-Eden) traced by @opentelemetry/instrumentation-memcached, which
// patches Memcached.prototype.command when the module is required: the
// instrumentation is made (enabled) first, then memcached is required, as in a
// CommonJS app; disable() unpatches, enable() patches again.
import { createRequire } from 'node:module';
import { runOtelCase } from './otel-shapes.mjs';

const require = createRequire(import.meta.url);

await runOtelCase('memcached', async (servers, provider) => {
  const { MemcachedInstrumentation } = require('@opentelemetry/instrumentation-memcached');
  const instrumentation = new MemcachedInstrumentation();
  instrumentation.setTracerProvider(provider);
  const Memcached = require('memcached');
  instrumentation.disable();
  const client = new Memcached(servers.length === 1 ? servers[0] : servers);
  const call = (method, ...args) =>
    new Promise((resolve, reject) =>
      client[method](...args, (error, value) => (error ? reject(error) : resolve(value))),
    );
  return {
    get: (key) => call('get', key),
    set: (key, value) => call('set', key, value, 0),
    enable: () => instrumentation.enable(),
    disable: () => instrumentation.disable(),
    close: () => client.end(),
  };
});
