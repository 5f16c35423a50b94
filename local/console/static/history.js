// An execution's event history read as the graph inspector shows it: each time a state was entered (an
// "entry"), what happened in it, and one status per state for the graph.
//
// Events of Parallel branches and Map iterations interleave, so an event is tied to its state through its
// previousEventId chain, never by its position in the list.

export const STATUSES = ['succeeded', 'failed', 'caught', 'running', 'waiting', 'not-entered'];
const PRIORITY = ['waiting', 'running', 'failed', 'caught', 'succeeded'];
const FAILURE = /(Failed|TimedOut|Aborted)$/;
const SUCCESS = /Succeeded$/;
const SCHEDULED = /^(Task|LambdaFunction|Activity)Scheduled$/;
const CONTAINER_END = /^(Parallel|Map)State(Succeeded|Failed|Aborted)$/;

export function details(event) {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  return key ? event[key] : {};
}

// entries: [{name, kind, entered, exited, events, iteration}] in the order the states were entered;
// entryOf: event id → its entry (execution-level events have none).
export function readHistory(events) {
  const byId = new Map(events.map((e) => [e.id, e]));
  const entryOf = new Map();
  const iterationOf = new Map();
  const closed = new Set();
  const entries = [];

  const walk = (event, found) => {
    for (let cursor = byId.get(event.previousEventId); cursor; cursor = byId.get(cursor.previousEventId)) {
      if (found(cursor)) return entryOf.get(cursor.id);
    }
    return undefined;
  };

  for (const event of events) {
    const { type } = event;
    // Which Map iteration an event runs in (the index of the nearest MapIterationStarted before it).
    if (type === 'MapIterationStarted') iterationOf.set(event.id, details(event).index);
    else if (/^Map(Iteration|State)(Succeeded|Failed|Aborted|Exited)$/.test(type)) iterationOf.set(event.id, null);
    else iterationOf.set(event.id, iterationOf.get(event.previousEventId) ?? null);

    let entry;
    if (type.endsWith('StateEntered')) {
      entry = {
        name: details(event).name, kind: type.slice(0, -'StateEntered'.length), entered: event, exited: null,
        events: [], iteration: iterationOf.get(event.id),
      };
      entries.push(entry);
    } else if (type.endsWith('StateExited')) {
      const { name } = details(event);
      entry = walk(event, (e) => e.type.endsWith('StateEntered') && details(e).name === name
        && !entryOf.get(e.id).exited);
      if (entry) entry.exited = event;
    } else if (/^(Parallel|Map)(State|Iteration)/.test(type)) {
      // A container's own events go to the nearest container of that kind not yet closed (nested ones close first).
      const kind = type.startsWith('Parallel') ? 'Parallel' : 'Map';
      entry = walk(event, (e) => e.type === `${kind}StateEntered` && !closed.has(entryOf.get(e.id)));
      if (entry && CONTAINER_END.test(type)) closed.add(entry);
    } else if (!type.startsWith('Execution')) {
      entry = walk(event, (e) => e.type.endsWith('StateEntered'));
    }
    if (entry) {
      entry.events.push(event);
      entryOf.set(event.id, entry);
    }
  }
  return { entries, entryOf };
}

// What one entry tells: status, attempts, the error it met, its result, its timing.
export function describeEntry(entry, executionStatus) {
  const outcomes = entry.events.filter((e) => (FAILURE.test(e.type) || SUCCESS.test(e.type))
    && !e.type.startsWith('MapIteration'));
  const last = outcomes[outcomes.length - 1];
  const failures = entry.events.filter((e) => FAILURE.test(e.type) && !e.type.startsWith('MapIteration'));
  const scheduled = entry.events.filter((e) => SCHEDULED.test(e.type));
  const lastScheduled = scheduled[scheduled.length - 1];
  const awaitingToken = lastScheduled && String(details(lastScheduled).resource || '').endsWith('.waitForTaskToken')
    && !entry.events.some((e) => e.id > lastScheduled.id && (SUCCESS.test(e.type) || FAILURE.test(e.type)));
  const lastFailed = last && FAILURE.test(last.type);
  let status;
  if (entry.kind === 'Fail') status = 'failed';
  else if (entry.exited) status = lastFailed ? 'caught' : 'succeeded';
  else if (executionStatus !== 'RUNNING') status = 'failed';
  else status = awaitingToken ? 'waiting' : 'running';
  const iterations = entry.events.filter((e) => e.type === 'MapIterationStarted').length;
  const failure = lastFailed || status === 'failed' ? failures[failures.length - 1] : undefined;
  return {
    status,
    attempts: scheduled.length,
    retries: Math.max(0, scheduled.length - 1),
    retriedErrors: failures.filter((e) => e !== failure).map((e) => details(e).error || e.type),
    error: failure ? details(failure).error : undefined,
    cause: failure ? details(failure).cause : undefined,
    scheduled: lastScheduled ? details(lastScheduled) : undefined,
    iterations,
    iterationsFailed: entry.events.filter((e) => e.type === 'MapIterationFailed').length,
    input: details(entry.entered).input,
    output: entry.exited ? details(entry.exited).output : undefined,
    enteredAt: entry.entered.timestamp,
    exitedAt: entry.exited ? entry.exited.timestamp : undefined,
  };
}

// State name → {status, entries: [{entry, info}]}; a state's status is the most pressing of its entries'.
export function stateStatuses(entries, executionStatus) {
  const states = new Map();
  for (const entry of entries) {
    const info = describeEntry(entry, executionStatus);
    if (!states.has(entry.name)) states.set(entry.name, { status: info.status, entries: [] });
    const state = states.get(entry.name);
    state.entries.push({ entry, info });
    if (PRIORITY.indexOf(info.status) < PRIORITY.indexOf(state.status)) state.status = info.status;
  }
  return states;
}
