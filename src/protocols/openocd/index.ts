export * from './argv.js';
export * from './classify.js';
