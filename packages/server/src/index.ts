export { createApp, type App } from './app.js';
export { parseConfig, ConfigError, type Config } from './config.js';
export { buildDeps, type Deps } from './deps.js';
export { createLogger } from './logger.js';
