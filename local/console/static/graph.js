// The state machine's graph: the layout `python -m local graph` computes (fetched from the console's layout
// helper), drawn here as SVG elements. Every state carries data-state="<StateName>" and data-status.

import { helper } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const layouts = new Map();

function node(tag, attrs = {}, text = undefined) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// The layout of a definition (a JSON text), computed once per definition.
export function layoutOf(definition) {
  if (!layouts.has(definition)) layouts.set(definition, helper('layout', {}, definition));
  return layouts.get(definition);
}

function marker(id) {
  const m = node('marker', {
    id, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
  });
  m.append(node('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow ${id.endsWith('catch') ? 'catch' : 'next'}` }));
  return m;
}

function drawState(item, onSelect) {
  const group = node('g', {
    class: `state kind-${item.kind}${item.container ? ' container' : ''}`, 'data-state': item.name,
    'data-status': 'not-entered', 'data-kind': item.kind, role: 'button', tabindex: 0,
  });
  if (item.comment) group.append(node('title', {}, item.comment));
  const { x, y, w, h } = item;
  if (item.kind === 'Choice') {
    const pad = 14;
    const points = [[x + pad, y], [x + w - pad, y], [x + w, y + h / 2], [x + w - pad, y + h], [x + pad, y + h],
      [x, y + h / 2]].map((p) => p.join(',')).join(' ');
    group.append(node('polygon', { class: 'shape', points }));
  } else {
    group.append(node('rect', { class: 'shape', x, y, width: w, height: h, rx: item.container ? 6 : 8 }));
  }
  if (item.container) {
    group.append(node('text', { class: 'name', x: x + 14, y: y + 16 }, item.name));
    group.append(node('text', { class: 'kind', x: x + w - 14, y: y + 16, 'text-anchor': 'end' }, item.subtitle));
  } else {
    group.append(node('text', { class: 'name', x: x + w / 2, y: y + 20, 'text-anchor': 'middle' }, item.name));
    group.append(node('text', { class: 'kind', x: x + w / 2, y: y + 34, 'text-anchor': 'middle' }, item.subtitle));
  }
  // How many times the state was entered (Map iterations, loops), shown once it is more than one.
  const count = node('text', { class: 'count', x: x + w - 4, y: y - 3, 'text-anchor': 'end' });
  group.append(count);
  if (onSelect) {
    group.addEventListener('click', (event) => {
      event.stopPropagation();
      onSelect(item.name);
    });
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onSelect(item.name);
      }
    });
  }
  return group;
}

// An <svg> of the layout; `onSelect(name)` is called when a state is clicked. `plain`: coloured by kind of state
// (a definition), else by status (an execution).
export function drawGraph(layout, { onSelect = null, label = 'state machine graph', plain = false } = {}) {
  const svg = node('svg', {
    class: plain ? 'graph plain' : 'graph', viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height,
    role: 'img', 'aria-label': label,
  });
  const defs = node('defs');
  defs.append(marker('arrow-next'), marker('arrow-catch'));
  svg.append(defs);
  for (const item of layout.items) {
    if (item.item === 'edge') {
      svg.append(node('polyline', {
        class: `edge ${item.style}`, points: item.points.map((p) => p.join(',')).join(' '),
        'marker-end': `url(#arrow-${item.style === 'catch' ? 'catch' : 'next'})`,
      }));
    } else if (item.item === 'state') {
      svg.append(drawState(item, onSelect));
    } else if (item.item === 'start' || item.item === 'end') {
      svg.append(node('circle', { class: item.item, cx: item.cx, cy: item.cy, r: item.r }));
    } else if (item.item === 'separator') {
      svg.append(node('line', { class: 'edge default', x1: item.x1, y1: item.y1, x2: item.x2, y2: item.y2 }));
    } else if (item.item === 'label') {
      svg.append(node('rect', { class: 'label-bg', x: item.x - item.w / 2, y: item.y - 8, width: item.w, height: 12,
        rx: 3 }));
      svg.append(node('text', { class: item.style === 'catch' ? 'label catch' : 'label', x: item.x, y: item.y + 1.5,
        'text-anchor': 'middle' }, item.text));
    }
  }
  return svg;
}

// Colour the drawn states: `states` maps a state name to {status, entries}; the others were not entered.
export function paint(svg, states, selected = null) {
  for (const group of svg.querySelectorAll('g.state')) {
    const state = states.get(group.dataset.state);
    group.dataset.status = state ? state.status : 'not-entered';
    const entries = state ? state.entries.length : 0;
    group.dataset.count = String(entries);
    const iterations = state ? state.entries.reduce((n, e) => n + e.info.iterations, 0) : 0;
    group.querySelector('text.count').textContent = iterations ? `${iterations} iterations`
      : entries > 1 ? `×${entries}` : '';
    group.classList.toggle('selected', group.dataset.state === selected);
    group.setAttribute('aria-label', `${group.dataset.state}: ${group.dataset.status.replace('-', ' ')}`);
  }
}
