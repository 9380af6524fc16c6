/** The wire protocol shared by runtime, gateway and controller. */
export * from './codec.ts';
export * from './envelope.ts';
export * from './errors.ts';
export * from './headers.ts';
export * from './limits.ts';
export * from './partition.ts';
export * from './placement.ts';
export * from './pod-env.ts';
export * from './registry.ts';
export * from './schema.ts';
export * from './subjects.ts';
export * from './log.ts';
export * from './labels.ts';
