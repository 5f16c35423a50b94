// The state machines: every machine of the template and any created through the API, with its diagram and its
// latest executions.

import {
  badge, el, executionHref, formatTime, machineHref, replace, sfn, sfnAll, showError,
} from './api.js';
import { drawGraph, layoutOf } from './graph.js';

const RECENT = 5;

async function machineRow(machine) {
  const diagram = el('td', { class: 'thumb' }, el('span', { class: 'muted' }, '…'));
  const recent = el('td', { class: 'recent' }, el('span', { class: 'muted' }, '…'));
  const row = el('tr', { 'data-state-machine': machine.stateMachineArn },
    el('td', {}, el('a', { href: machineHref(machine.stateMachineArn) }, machine.name)),
    el('td', {}, machine.type),
    el('td', {}, formatTime(machine.creationDate)),
    diagram, recent);
  const described = sfn('DescribeStateMachine', { stateMachineArn: machine.stateMachineArn });
  const executions = sfn('ListExecutions', { stateMachineArn: machine.stateMachineArn, maxResults: RECENT });
  described.then(async ({ definition }) => {
    const link = el('a', { href: machineHref(machine.stateMachineArn), 'aria-label': `${machine.name} diagram` },
      drawGraph(await layoutOf(definition), { label: `${machine.name} diagram`, plain: true }));
    replace(diagram, link);
  }).catch((error) => showError(diagram, error));
  executions.then(({ executions: list }) => {
    replace(recent, list.length ? el('ul', { class: 'plain' }, list.map((execution) => el('li', {},
      badge(execution.status), ' ',
      el('a', { href: executionHref(execution.executionArn) }, execution.name), ' ',
      el('span', { class: 'muted' }, formatTime(execution.startDate)))))
      : el('span', { class: 'muted' }, 'No executions yet'));
  }).catch((error) => showError(recent, error));
  return row;
}

export async function listingPage(main) {
  document.title = 'State machines · local console';
  const machines = await sfnAll('ListStateMachines', {}, 'stateMachines');
  machines.sort((a, b) => a.name.localeCompare(b.name));
  const rows = await Promise.all(machines.map(machineRow));
  replace(main,
    el('h1', {}, `State machines (${machines.length})`),
    el('p', { class: 'muted' }, 'Every state machine of the template and any created through the API. ',
      'Times are the engine\'s virtual time.'),
    machines.length
      ? el('table', { class: 'list machines' },
        el('thead', {}, el('tr', {}, ['Name', 'Type', 'Created', 'Diagram', 'Recent executions'].map(
          (title) => el('th', {}, title)))),
        el('tbody', {}, rows))
      : el('p', {}, 'No state machine yet.'));
}
