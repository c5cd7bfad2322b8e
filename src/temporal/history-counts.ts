import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const { EventType } = temporal.api.enums.v1;

/** The Rust core's marker names: a local activity's result and a patch() decision. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface HistoryCounts {
  events: number;
  workflowTasks: number;
  /** Activities scheduled on a task queue (each is scheduled/started/completed events and a workflow task more). */
  activities: number;
  /** Local activities (one marker each, inside the workflow task that ran them). */
  localActivities: number;
  searchAttributeUpserts: number;
  timers: number;
  signals: number;
  updates: number;
}

/** What a workflow's history costs, the way issue 12 measures a session: from the event history itself. */
export function historyCounts(history: History): HistoryCounts {
  const events = history.events ?? [];
  const count = (type: number) => events.filter((e) => e.eventType === type).length;
  return {
    events: events.length,
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activities: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER).length,
    searchAttributeUpserts: count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
    timers: count(EventType.EVENT_TYPE_TIMER_STARTED),
    signals: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    updates: count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
  };
}
