export { redisCapacity, RedisCapacityStore, type RedisCapacityOptions } from './redisCapacity.js';
export { redisRate, RedisRateStore, type RedisRateOptions } from './redisRate.js';
export { LeaseLostError, StoreUnavailableError } from '../resilience/errors.js';
