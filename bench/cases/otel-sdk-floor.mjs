// The raw bound of the OpenTelemetry suite: what one span costs in the SDK itself, with the
// setup both clients are traced with (cases/otel-shapes.mjs), and no client at all. Each
// span is what a traced get needs at the least: started under a request's span with the
// attributes of a command, given its server's attributes and name, and ended. An
// instrumentation cannot make a traced get cost less than the untraced get plus this.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { caseArgs, report } from '../lib/harness.mjs';
import { tracingSdk } from './otel-shapes.mjs';

const { sampled, spans = 500_000 } = caseArgs();
const { provider } = tracingSdk(sampled);
const tracer = provider.getTracer('bench');
const parent = trace.setSpan(context.active(), tracer.startSpan('request'));
const options = Object.freeze({
  kind: SpanKind.CLIENT,
  attributes: Object.freeze({ 'db.system.name': 'memcached', 'db.operation.name': 'get' }),
});
const server = Object.freeze({ 'server.address': '127.0.0.1', 'server.port': 11211 });

/** Makes `count` spans, 200 per turn of the event loop, as 200 gets in flight do: the batch processor exports them in between. */
async function spansOf(count) {
  for (let made = 0; made < count; made += 200) {
    for (let i = 0; i < 200; i++) {
      const span = tracer.startSpan('get', options, parent);
      span.setAttributes(server);
      span.updateName('get 127.0.0.1:11211');
      span.end();
    }
    await new Promise(setImmediate);
  }
}

await spansOf(spans / 5); // warm-up: the JIT, and the batch processor's queue at its steady state
globalThis.gc();
const cpu = process.cpuUsage();
await spansOf(spans);
const used = process.cpuUsage(cpu);
report({ cpuUsPerSpan: (used.user + used.system) / spans, spans });
setTimeout(() => process.exit(), 100).unref();
