// @clonepool/memcached traced by @clonepool/opentelemetry, which subscribes to the
// driver's diagnostics channel: enable() subscribes, disable() unsubscribes. Runs the
// built dist/ of both (pnpm build first).
import { Client } from '@clonepool/memcached';
import { ClonepoolInstrumentation } from '@clonepool/opentelemetry';
import { runOtelCase } from './otel-shapes.mjs';

await runOtelCase('@clonepool/memcached', async (servers, provider) => {
  const instrumentation = new ClonepoolInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(provider);
  const client = new Client(servers);
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    enable: () => instrumentation.enable(),
    disable: () => instrumentation.disable(),
    close: () => client.close(),
  };
});
