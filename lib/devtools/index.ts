/**
 * `rxjs-concurrency/devtools`: see who ran when. `traceTasks` records each subscription of a
 * source into a recorder from `createRecorder`; `renderTimeline` draws the records as a
 * self-contained HTML/SVG page and `renderTimelineText` as an ASCII Gantt chart.
 */
export { createRecorder } from './recorder.js';
export type { RecorderOptions, TaskOutcome, TaskRecord, TaskRecorder } from './recorder.js';
export { traceTasks } from './traceTasks.js';
export type { TraceContext, TraceLabel } from './traceTasks.js';
export { renderTimeline } from './renderTimeline.js';
export type { TimelineOptions } from './renderTimeline.js';
export { renderTimelineText } from './renderTimelineText.js';
export type { TimelineTextOptions } from './renderTimelineText.js';
