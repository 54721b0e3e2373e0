/**
 * Installs `Symbol.dispose` and `Symbol.asyncDispose` where the runtime lacks them,
 * so leases and pools are disposable on every Node this library supports (code
 * that TypeScript compiled from `using`, and Node 24+'s own `await using`).
 * Node 20.19+ already defines both; this keeps older embedders and bundles honest.
 * It runs once, when core is first imported, and never replaces existing symbols.
 */
const symbols = Symbol as unknown as Record<'dispose' | 'asyncDispose', symbol | undefined>;
symbols.dispose ??= Symbol.for('Symbol.dispose');
symbols.asyncDispose ??= Symbol.for('Symbol.asyncDispose');

export {};
