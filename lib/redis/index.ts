/**
 * `rxjs-concurrency/redis`: integrations that need a Redis server, through ioredis (an optional
 * peer dependency: install it to use this entry; the core entry never loads it).
 */
export { redisTransport } from './transport.js';
export type { RedisPublisher, RedisSubscriber, RedisTransportOptions } from './transport.js';
export { redisCapacity, RedisCapacityStore, type RedisCapacityOptions } from './redisCapacity.js';
export { redisRate, RedisRateStore, type RedisRateOptions } from './redisRate.js';
export { LeaseLostError, StoreUnavailableError } from '../resilience/errors.js';
