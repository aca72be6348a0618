export * from './review.js';
export * from './decode.js';
export * from './pod.js';
export * from './context.js';
export * from './response.js';
export * from './judgement.js';
