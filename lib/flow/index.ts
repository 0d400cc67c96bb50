/**
 * `rxjs-concurrency/flow`: a DAG runner that discovers parallelism from declared data
 * dependencies (after the hbia "parallel & async execution" design). Kept out of the core entry
 * point. YAML definitions (`parseFlow`, `stringifyFlow`) live in `rxjs-concurrency/flow/yaml`,
 * so only the apps that parse YAML bundle the `yaml` package.
 */
export { runFlow, runFlowResult, executionStages } from './run.js';
export { configureFlows, FLOW_DEFAULTS } from './settings.js';
export { memoryFlowCache, defaultFlowCache, type MemoryFlowCache } from './cache.js';
export { FlowDefinitionError, FlowCycleError, FlowVertexError, type FlowErrorDetails } from './errors.js';
export type {
  FlowSpec,
  FlowVertexSpec,
  FlowAtomicGroupSpec,
  FlowEffect,
  FlowFailurePolicy,
  FlowSchedule,
  FlowSettings,
  RunFlowOptions,
  FlowHandler,
  FlowHandlerResult,
  FlowContext,
  FlowOutputs,
  FlowResult,
  FlowCacheStore,
  FlowTransactionHooks,
  FlowCompensation,
  FlowHookResult,
  FlowEvent,
  FlowStartedEvent,
  FlowCompletedEvent,
  FlowFailedEvent,
  FlowRolledBackEvent,
  FlowDoneEvent,
} from './types.js';
