export * from './argv.js';
export * from './classify.js';
export * from './words.js';
