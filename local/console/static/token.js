// Answering a task token from the page: SendTaskSuccess with a JSON output, or SendTaskFailure.

import { el, replace, sfn } from './api.js';

export function tokenForm(waiting, samples, done) {
  const output = el('textarea', { class: 'task-output', rows: 8, spellcheck: 'false',
    'aria-label': 'Task output (JSON)' });
  output.value = '{}';
  const sample = el('select', { class: 'task-sample', 'aria-label': 'Sample output' },
    el('option', { value: '' }, 'Empty output {}'), samples.map((s) => el('option', { value: s.name }, s.name)));
  sample.addEventListener('change', () => {
    const chosen = samples.find((s) => s.name === sample.value);
    output.value = chosen ? chosen.input : '{}';
  });
  const error = el('input', { type: 'text', class: 'task-error', 'aria-label': 'Error name',
    placeholder: 'e.g. Customer.Unreachable' });
  const cause = el('input', { type: 'text', class: 'task-cause', 'aria-label': 'Cause', placeholder: 'optional' });
  const notice = el('p', { class: 'notice', role: 'status' });
  const send = async (action, params) => {
    replace(notice, 'Sending…');
    notice.className = 'notice';
    try {
      await sfn(action, { taskToken: waiting.token, ...params });
      replace(notice, `${action} sent.`);
      done();
    } catch (failure) {
      replace(notice, String(failure.message));
      notice.className = 'notice error';
    }
  };
  const success = el('button', { type: 'button', class: 'primary send-success', onclick: () => {
    try {
      JSON.parse(output.value);
    } catch (problem) {
      replace(notice, `The output is not JSON: ${problem.message}`);
      notice.className = 'notice error';
      return;
    }
    send('SendTaskSuccess', { output: output.value });
  } }, 'Send task success');
  const failure = el('button', { type: 'button', class: 'danger send-failure', onclick: () => {
    const params = {};
    if (error.value) params.error = error.value;
    if (cause.value) params.cause = cause.value;
    send('SendTaskFailure', params);
  } }, 'Send task failure');
  return el('div', { class: 'token-box', 'data-token-state': waiting.state ?? '' },
    el('h3', {}, waiting.state ? `${waiting.state} waits for a task token` : 'A task token is awaited'),
    el('p', {}, 'Token ', el('code', { class: 'task-token' }, waiting.token)),
    el('label', { class: 'block' }, 'Output (JSON) ', sample, output),
    success,
    el('div', { class: 'fields' }, el('label', {}, 'Error ', error), el('label', {}, 'Cause ', cause)),
    failure, notice);
}
