/**
 * The machine's execution engine: program preparation, the interpreter, the address space, and
 * the interfaces the object model implements ({@link EngineMap}, {@link EngineEnv}).
 *
 * @module
 */

export * from './conformance.js';
export * from './ctx.js';
export * from './env.js';
export * from './interp.js';
export * from './memory.js';
export * from './program.js';
