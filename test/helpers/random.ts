// The engine's seedable generator, shared with tests and benchmarks.
export { mulberry32 } from '../../main/engine/random.js';
