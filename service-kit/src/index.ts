export * from './env.js';
export * from './http-server.js';
export * from './lifecycle.js';
export * from './logger.js';
