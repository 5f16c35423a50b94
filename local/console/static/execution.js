// An execution's page, the graph inspector: the graph coloured by what happened, the selected state's input,
// output, error, retries and timing, answering a task token, and the event history. Refreshed while it runs.

import {
  badge, el, formatDuration, formatTime, helper, machineHref, pretty, replace, sfn, sfnAll, shortName, toMillis,
} from './api.js';
import { drawGraph, layoutOf, paint } from './graph.js';
import { details, readHistory, stateStatuses } from './history.js';
import { tokenForm } from './token.js';

const POLL_MS = 500;
const LEGEND = [['succeeded', 'Succeeded'], ['failed', 'Failed'], ['caught', 'Caught error'], ['running', 'In progress'],
  ['waiting', 'Waiting for a task token'], ['not-entered', 'Not entered']];

function field(title, text, cls = 'code') {
  if (text === undefined || text === null || text === '') return null;
  return [el('h4', {}, title), el('pre', { class: cls }, text)];
}

function entryDetails(state, entry, info) {
  const errors = new Map();
  for (const error of info.retriedErrors) errors.set(error, (errors.get(error) || 0) + 1);
  const named = [...errors].map(([error, n]) => (n > 1 ? `${error} ×${n}` : error)).join(', ');
  const retries = info.retries ? `${info.retries} (${named || 'retried'})` : '0';
  const facts = [
    ['Status', badge(info.status)],
    ['Type', entry.kind],
    ['Map iteration', entry.iteration ?? null],
    ['Entered', formatTime(entry.entered.timestamp)],
    ['Exited', entry.exited ? formatTime(entry.exited.timestamp) : '–'],
    ['Duration', entry.exited ? formatDuration(entry.entered.timestamp, entry.exited.timestamp) : '–'],
    ['Resource', info.scheduled ? `${info.scheduled.resourceType}:${info.scheduled.resource}` : null],
    ['Retries', info.attempts ? retries : null],
    ['Iterations', info.iterations ? `${info.iterations} (${info.iterationsFailed} failed)` : null],
  ].filter(([, value]) => value !== null && value !== undefined);
  return [
    el('dl', { class: 'facts compact' }, facts.map(([title, value]) => [el('dt', {}, title),
      el('dd', { 'data-fact': title.toLowerCase() }, value)])),
    field('Error', info.error, 'code error-text'),
    field('Cause', info.cause ? pretty(info.cause) : undefined, 'code error-text'),
    field('Input', pretty(info.input)),
    field('Parameters', info.scheduled ? pretty(info.scheduled.parameters) : undefined),
    field('Output', info.output === undefined ? undefined : pretty(info.output)),
  ];
}

function eventRow(event, entryOf, startMillis) {
  const info = details(event);
  const entry = entryOf.get(event.id);
  const readable = Object.fromEntries(Object.entries(info).map(([key, value]) => [key,
    typeof value === 'string' && /^(input|output|parameters|cause)$/.test(key) ? tryParse(value) : value]));
  return el('tr', { 'data-event-id': event.id, 'data-event-type': event.type },
    el('td', {}, event.id),
    el('td', {}, event.type),
    el('td', {}, entry ? entry.name : ''),
    el('td', {}, info.resourceType ? `${info.resourceType}:${info.resource}` : ''),
    el('td', { class: 'num' }, `${Math.round(toMillis(event.timestamp) - startMillis)} ms`),
    el('td', {}, formatTime(event.timestamp)),
    el('td', {}, Object.keys(info).length
      ? el('details', {}, el('summary', {}, 'Details'), el('pre', { class: 'code' }, JSON.stringify(readable, null, 2)))
      : ''));
}

function tryParse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function executionPage(main, arn) {
  const view = {
    arn, events: [], selected: null, entryIndex: new Map(), chosenByUser: false, inspectorKey: '',
    tokenKey: '', timer: null,
  };
  const first = await sfn('DescribeExecution', { executionArn: arn });
  const machine = await sfn('DescribeStateMachineForExecution', { executionArn: arn });
  const layout = await layoutOf(machine.definition);
  const samples = await helper('samples', { stateMachineArn: first.stateMachineArn }).catch(() => ({ samples: [] }));
  document.title = `${first.name} · local console`;

  const select = (name) => {
    view.selected = name;
    view.chosenByUser = true;
    render();
  };
  const svg = drawGraph(layout, { onSelect: select, label: `${machine.name} execution graph` });
  const status = el('span', { id: 'execution-status' });
  const facts = el('dl', { class: 'facts' });
  const actions = el('div', { class: 'actions' });
  const inspector = el('div', { class: 'inspector-body' });
  const tokens = el('div', { class: 'tokens' });
  const io = el('div', { class: 'io' });
  const events = el('tbody');
  const problem = el('p', { class: 'error', role: 'alert', hidden: true });

  replace(main,
    el('p', { class: 'crumbs' }, el('a', { href: '/_console/' }, 'State machines'), ' / ',
      el('a', { href: machineHref(first.stateMachineArn) }, shortName(first.stateMachineArn)), ' / ', first.name),
    el('h1', {}, first.name, ' ', status),
    facts, actions, problem,
    el('section', { class: 'columns inspector-layout' },
      el('div', { class: 'panel graph-panel' },
        el('div', { class: 'section-head' }, el('h2', {}, 'Graph inspector'),
          el('ul', { class: 'legend' }, LEGEND.map(([key, text]) => el('li', { 'data-status': key }, text)))),
        el('div', { class: 'graph-scroll' }, svg)),
      el('aside', { class: 'panel inspector', id: 'inspector', 'aria-label': 'Selected state' }, tokens, inspector)),
    el('section', { class: 'panel' }, el('h2', {}, 'Execution input and output'), io),
    el('section', { class: 'panel' }, el('h2', {}, 'Events'),
      el('p', { class: 'muted' }, 'Times are the engine\'s virtual time, as the history records them.'),
      el('div', { class: 'table-scroll' }, el('table', { class: 'list events', id: 'events' },
        el('thead', {}, el('tr', {}, ['ID', 'Type', 'Step', 'Resource', 'Started after', 'Date and time', ''].map(
          (t) => el('th', {}, t)))),
        events))));

  let described = first;
  let waitingTokens = [];

  function render() {
    const { entries, entryOf } = readHistory(view.events);
    const states = stateStatuses(entries, described.status);
    const startEvent = view.events[0];
    const endEvent = view.events.find((e) => /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type));
    const startMillis = startEvent ? toMillis(startEvent.timestamp) : toMillis(described.startDate);

    replace(status, badge(described.status));
    status.dataset.status = described.status;
    replace(facts,
      el('dt', {}, 'Execution ARN'), el('dd', { class: 'mono' }, described.executionArn),
      el('dt', {}, 'State machine'), el('dd', {}, el('a', { href: machineHref(described.stateMachineArn) },
        shortName(described.stateMachineArn))),
      el('dt', {}, 'Started'), el('dd', {}, formatTime(startEvent ? startEvent.timestamp : described.startDate)),
      el('dt', {}, 'Stopped'), el('dd', {}, endEvent ? formatTime(endEvent.timestamp) : '–'),
      el('dt', {}, 'Duration'), el('dd', { id: 'execution-duration' },
        endEvent ? formatDuration(startEvent.timestamp, endEvent.timestamp) : '–'),
      el('dt', {}, 'States entered'), el('dd', {}, String(entries.length)));
    replace(actions, described.status === 'RUNNING'
      ? el('button', { type: 'button', id: 'stop-execution', onclick: stop }, 'Stop execution') : null);

    // Waiting states are shown at once, unless the user chose another state.
    const waiting = [...states].find(([, state]) => state.status === 'waiting');
    if (!view.chosenByUser && waiting) view.selected = waiting[0];
    paint(svg, states, view.selected);
    renderInspector(states);
    renderTokens(states);
    replace(io,
      el('div', {}, el('h4', {}, 'Input'), el('pre', { class: 'code', id: 'execution-input' }, pretty(described.input))),
      el('div', {}, el('h4', {}, 'Output'), el('pre', { class: 'code', id: 'execution-output' },
        described.output === undefined ? '–' : pretty(described.output))),
      described.error || described.cause ? el('div', {}, field('Error', described.error, 'code error-text'),
        field('Cause', described.cause ? pretty(described.cause) : undefined, 'code error-text')) : null);
    for (const event of view.events.slice(events.children.length)) events.append(eventRow(event, entryOf, startMillis));
  }

  function renderInspector(states) {
    const state = view.selected ? states.get(view.selected) : undefined;
    const count = state ? state.entries.length : 0;
    const index = Math.min(view.entryIndex.get(view.selected) ?? count - 1, count - 1);
    const chosen = state ? state.entries[index] : undefined;
    const key = JSON.stringify([view.selected, count, index, chosen && chosen.info.status,
      chosen && chosen.entry.events.length]);
    if (key === view.inspectorKey) return;
    view.inspectorKey = key;
    if (!view.selected) {
      replace(inspector, el('p', { class: 'muted' }, 'Select a state on the graph to see its input, output, ',
        'error, retries and timing.'));
      return;
    }
    inspector.dataset.selectedState = view.selected;
    const head = el('h2', {}, view.selected);
    if (!state) {
      replace(inspector, head, el('p', {}, badge('not-entered'), ' This state was not entered.'));
      return;
    }
    const picker = count > 1 ? el('label', { class: 'entry-picker' }, 'Entry ',
      el('select', { id: 'entry-picker', onchange: (event) => {
        view.entryIndex.set(view.selected, Number(event.target.value));
        render();
      } }, state.entries.map(({ entry, info }, i) => el('option', { value: i, selected: i === index },
        `${i + 1} of ${count}${entry.iteration !== null ? ` · iteration ${entry.iteration}` : ''} · ${info.status}`))))
      : null;
    replace(inspector, head, picker, entryDetails(state, chosen.entry, chosen.info));
  }

  function renderTokens(states) {
    const waiting = [...states].filter(([, state]) => state.status === 'waiting').map(([name]) => name);
    const shown = waitingTokens.filter((t) => t.state === null || waiting.includes(t.state));
    const key = JSON.stringify(shown);
    if (key === view.tokenKey) return;
    view.tokenKey = key;
    replace(tokens, shown.map((token) => tokenForm(token, samples.samples, refresh)));
  }

  async function stop() {
    try {
      await sfn('StopExecution', { executionArn: arn });
    } catch (error) {
      replace(problem, String(error.message));
      problem.hidden = false;
    }
    refresh();
  }

  async function refresh() {
    clearTimeout(view.timer);
    try {
      described = await sfn('DescribeExecution', { executionArn: arn });
      view.events = await sfnAll('GetExecutionHistory', { executionArn: arn, maxResults: 1000 }, 'events');
      const awaiting = view.events.some((e) => String(details(e).resource || '').endsWith('.waitForTaskToken'));
      waitingTokens = described.status === 'RUNNING' && awaiting
        ? (await helper('task-tokens', { executionArn: arn })).taskTokens : [];
      problem.hidden = true;
      render();
    } catch (error) {
      replace(problem, String(error.message || error));
      problem.hidden = false;
    }
    if (described.status === 'RUNNING') view.timer = setTimeout(refresh, POLL_MS);
    else main.dataset.loaded = 'final';
  }

  await refresh();
}
