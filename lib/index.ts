/**
 * rxjs-concurrency: structured concurrency for RxJS.
 *
 * Every public name is exported from here, by hand, grouped by area.
 */

// ── Shared types and errors ──────────────────────────────────────────────────────────────────
export type { TaskContext, Task, Settled, TaskResult } from './types.js';
export { EmptyTaskError, DeadlineError, BrokenCircuitError } from './errors.js';

// ── Bounded fan-out ──────────────────────────────────────────────────────────────────────────
export { boundedMap, type BoundedMapOptions } from './fanout/boundedMap.js';
export type { FanoutLimit } from './internal/pool.js';
export { pull, type Pullable } from './fanout/pull.js';
export { processConcurrently, type ProcessConcurrentlyOptions } from './fanout/processConcurrently.js';
export { executeConcurrently, type ExecuteConcurrentlyOptions } from './fanout/executeConcurrently.js';
export { concurrently, type ConcurrentlyOptions } from './fanout/concurrently.js';
export {
  completionStream,
  type CompletionStreamOptions,
  type Completion,
  type SettledCompletion,
} from './fanout/completionStream.js';

// ── Combinators ──────────────────────────────────────────────────────────────────────────────
export { streamConcurrently } from './combinators/streamConcurrently.js';
export type { StreamConcurrentlyOptions } from './combinators/streamConcurrently.js';
export { streamConcurrentlyWith } from './combinators/streamConcurrentlyWith.js';
export { gather } from './combinators/gather.js';
export type { GatherOptions, GatherResults, GatherSettled } from './combinators/gather.js';
export { firstToFinish } from './combinators/firstToFinish.js';
export { firstSuccess } from './combinators/firstSuccess.js';

// ── Resilience ───────────────────────────────────────────────────────────────────────────────
export { retryBackoff } from './resilience/retryBackoff.js';
export type { RetryBackoffOptions, ErrorClass } from './resilience/retryBackoff.js';
export { CapacityLimiter } from './resilience/capacityLimiter.js';
export type { CapacityState, CapacityLease, CapacityLimiterOptions, CapacityRequestOptions } from './resilience/capacityLimiter.js';
export { LocalCapacityStore, LocalRateStore } from './resilience/store.js';
export type { CapacityStore, RateStore, RateRequest, RatePeek, StoreListener } from './resilience/store.js';
export { CapacityExceededError, RateLimitExceededError, StoreUnavailableError, LeaseLostError } from './resilience/errors.js';
export { withCapacity } from './resilience/withCapacity.js';
export { RateLimiter } from './resilience/rateLimiter.js';
export type { RateLimiterOptions, RateState, RateTicket, RateAcquireOptions, RateRequestOptions } from './resilience/rateLimiter.js';
export { withRate } from './resilience/withRate.js';
export { failAfter } from './resilience/failAfter.js';
export { failAt } from './resilience/failAt.js';
export { moveOnAfter } from './resilience/moveOnAfter.js';
export { moveOnAt } from './resilience/moveOnAt.js';
export type { MoveOnOptions } from './resilience/deadline.js';
export { CircuitBreaker } from './resilience/breaker.js';
export type { CircuitBreakerOptions, CircuitState, HalfOpenBackoff } from './resilience/breaker.js';
export { circuitBreaker } from './resilience/circuitBreaker.js';
export { takeUntilAborted } from './resilience/takeUntilAborted.js';
export type { TakeUntilAbortedOptions } from './resilience/takeUntilAborted.js';

// ── Scopes and the event bus ─────────────────────────────────────────────────────────────────
export { scope, shutdownBackground } from './scope/scope.js';
export type { Scope, ScopeBody, ScopeOptions, TaskHandle } from './scope/scope.js';
export { EventBus } from './scope/bus.js';
export type { BusError, EventBusOptions, RequestOptions } from './scope/bus.js';
export type { ClassOf } from './types.js';
export { eventCodec } from './scope/codec.js';
export type { EncodedEvent, EventCodec, EventCodecPart } from './scope/codec.js';
export { broadcastChannelTransport } from './scope/transport.js';
export type { BusTransport, TransportLink, TransportPeer } from './scope/transport.js';
export { BusClosedError, BusDecodeError, BusTransportError, StateMissingError, ScopeEndedError } from './scope/errors.js';
