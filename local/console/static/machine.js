// A state machine's page: its graph and definition, Start execution (sample inputs, test cases), its executions.

import {
  badge, el, executionHref, formatDuration, formatTime, helper, pretty, replace, sfn, shortName, showError,
} from './api.js';
import { drawGraph, layoutOf, paint } from './graph.js';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

function startForm(machine, samples, testCases) {
  const input = el('textarea', { id: 'start-input', name: 'input', rows: 8, spellcheck: 'false',
    'aria-label': 'Execution input (JSON)' });
  input.value = samples.samples.length ? samples.samples[0].input : '{}';
  const sample = el('select', { id: 'start-sample', 'aria-label': 'Sample input' },
    samples.samples.map((s) => el('option', { value: s.name }, s.name)),
    el('option', { value: '' }, 'Empty input {}'));
  sample.addEventListener('change', () => {
    const chosen = samples.samples.find((s) => s.name === sample.value);
    input.value = chosen ? chosen.input : '{}';
  });
  const testCase = el('select', { id: 'start-test-case', 'aria-label': 'Test case' },
    el('option', { value: '' }, 'None: call the local services'),
    testCases.map((c) => el('option', { value: c.name, title: Object.entries(c.mocks).map(
      ([state, response]) => `${state} → ${response}`).join('\n') }, c.name)));
  const name = el('input', { id: 'start-name', type: 'text', placeholder: 'generated when empty',
    'aria-label': 'Execution name (optional)' });
  const problem = el('p', { class: 'error', role: 'alert', hidden: true });
  const button = el('button', { type: 'submit', class: 'primary', id: 'start-execution' }, 'Start execution');
  const form = el('form', { class: 'start', novalidate: true },
    el('div', { class: 'fields' },
      el('label', {}, 'Sample input ', samples.samples.length ? sample
        : el('span', { class: 'muted' }, 'none (no workflow folder with events/)')),
      el('label', {}, 'Test case ', testCase),
      el('label', {}, 'Name ', name)),
    el('label', { class: 'block' }, 'Input (JSON)', input),
    problem, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    try {
      JSON.parse(input.value);
    } catch (error) {
      replace(problem, `The input is not JSON: ${error.message}`);
      problem.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      const params = {
        stateMachineArn: machine.stateMachineArn + (testCase.value ? `#${testCase.value}` : ''), input: input.value,
      };
      if (name.value.trim()) params.name = name.value.trim();
      const started = await sfn('StartExecution', params);
      window.location.assign(executionHref(started.executionArn));
    } catch (error) {
      replace(problem, String(error.message));
      problem.hidden = false;
      button.disabled = false;
    }
  });
  return form;
}

function executionsSection(machine) {
  const filter = el('select', { id: 'status-filter', 'aria-label': 'Status filter' },
    el('option', { value: '' }, 'All statuses'), STATUSES.map((s) => el('option', { value: s }, s)));
  const body = el('tbody');
  const load = async () => {
    const params = { stateMachineArn: machine.stateMachineArn, maxResults: 100 };
    if (filter.value) params.statusFilter = filter.value;
    try {
      const { executions } = await sfn('ListExecutions', params);
      replace(body, executions.length ? executions.map((e) => el('tr', { 'data-execution': e.executionArn },
        el('td', {}, el('a', { href: executionHref(e.executionArn) }, e.name)),
        el('td', {}, badge(e.status)),
        el('td', {}, formatTime(e.startDate)),
        el('td', {}, formatTime(e.stopDate)),
        el('td', {}, e.stopDate ? formatDuration(e.startDate, e.stopDate) : '–')))
        : el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No executions')));
    } catch (error) {
      showError(body, error);
    }
  };
  filter.addEventListener('change', load);
  load();
  return el('section', { class: 'executions' },
    el('div', { class: 'section-head' }, el('h2', {}, 'Executions'), filter,
      el('button', { type: 'button', onclick: load }, 'Refresh')),
    el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, ['Name', 'Status', 'Started', 'Stopped', 'Duration'].map(
        (t) => el('th', {}, t)))),
      body));
}

export async function machinePage(main, arn) {
  const machine = await sfn('DescribeStateMachine', { stateMachineArn: arn });
  document.title = `${machine.name} · local console`;
  const [samples, cases, layout] = await Promise.all([
    helper('samples', { stateMachineArn: arn }), helper('test-cases', { stateMachineArn: arn }),
    layoutOf(machine.definition)]);
  const svg = drawGraph(layout, { label: `${machine.name} graph`, plain: true });
  paint(svg, new Map());
  replace(main,
    el('p', { class: 'crumbs' }, el('a', { href: '/_console/' }, 'State machines'), ' / ', machine.name),
    el('h1', {}, machine.name),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Type'), el('dd', {}, machine.type),
      el('dt', {}, 'ARN'), el('dd', { class: 'mono' }, machine.stateMachineArn),
      el('dt', {}, 'Workflow folder'), el('dd', {}, samples.workflow ? `workflows/${samples.workflow}/`
        : 'none (created through the API)'),
      el('dt', {}, 'Role'), el('dd', { class: 'mono' }, shortName(machine.roleArn || '–'))),
    el('section', { class: 'start-section' }, el('h2', {}, 'Start execution'),
      startForm(machine, samples, cases.testCases)),
    executionsSection(machine),
    el('section', { class: 'columns' },
      el('div', { class: 'panel graph-panel' }, el('h2', {}, 'Graph'), el('div', { class: 'graph-scroll' }, svg)),
      el('div', { class: 'panel' }, el('h2', {}, 'Definition'),
        el('pre', { class: 'code definition' }, pretty(machine.definition)))));
}
