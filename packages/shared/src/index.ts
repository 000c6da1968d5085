export * from './errors/index.js';
export * from './limits.js';
export * from './schemas/common.js';
export * from './schemas/accounts.js';
export * from './schemas/links.js';
export * from './schemas/chat.js';
