export * from './sample.js';
export * from './http.js';
export * from './events.js';
export * from './fleet-frame.js';
export * from './server-list.js';
