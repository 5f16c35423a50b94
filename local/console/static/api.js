// What the pages call: the Step Functions API of this endpoint, sent as the AWS SDK sends it (a JSON body and
// an X-Amz-Target header, so no cross-site form can imitate it), and the console's read-only helpers.
// Plus the small DOM and formatting tools every page uses. Data from executions only ever becomes text.

export const CONSOLE = '/_console/';
let config = null;

async function region() {
  if (config === null) config = await helper('config');
  return config.region;
}

export class ApiError extends Error {
  constructor(type, message) {
    super(type ? `${type}: ${message}` : message);
    this.type = type;
  }
}

// One Step Functions action. The local endpoint does not check signatures: it reads the service and the region
// from the credential scope, as it would in a signed SDK request.
export async function sfn(action, params = {}) {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AWSStepFunctions.${action}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=local/${day}/${await region()}/states/aws4_request, ` +
        'SignedHeaders=content-type;host;x-amz-target, Signature=unsigned-local-console',
    },
    body: JSON.stringify(params),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const type = String(body.__type || body.code || response.status).split('#').pop();
    throw new ApiError(type, body.message || body.Message || response.statusText);
  }
  return body;
}

// Every page of a paginated list action, concatenated.
export async function sfnAll(action, params, key) {
  const all = [];
  let nextToken;
  do {
    const page = await sfn(action, nextToken ? { ...params, nextToken } : params);
    all.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

// A console helper: GET with query arguments, or POST a JSON body.
export async function helper(name, args = {}, body = undefined) {
  const query = new URLSearchParams(args).toString();
  const init = body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
  };
  const response = await fetch(`${CONSOLE}api/${name}${query ? `?${query}` : ''}`, init);
  const answer = await response.json();
  if (!response.ok) throw new ApiError('', answer.message || response.statusText);
  return answer;
}

// --- pages --------------------------------------------------------------------------------------------------

export const machineHref = (arn) => `${CONSOLE}state-machines/${encodeURIComponent(arn)}`;
export const executionHref = (arn) => `${CONSOLE}executions/${encodeURIComponent(arn)}`;

// --- DOM ------------------------------------------------------------------------------------------------------

// An element with attributes (`on…` ones become listeners) and children; strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

export const badge = (status) => el('span', { class: `badge ${String(status).toLowerCase()}` }, status);

export function showError(container, error) {
  container.replaceChildren(el('p', { class: 'error', role: 'alert' }, String(error.message || error)));
}

// --- formatting -------------------------------------------------------------------------------------------------

// The API's dates are epoch seconds (AWS JSON protocol); they are the engine's virtual time.
export function toMillis(date) {
  if (date === undefined || date === null) return null;
  return typeof date === 'number' ? date * 1000 : Date.parse(date);
}

export function formatTime(date) {
  const millis = toMillis(date);
  if (millis === null || Number.isNaN(millis)) return '–';
  return new Date(millis).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function formatDuration(startDate, stopDate) {
  const start = toMillis(startDate);
  const stop = toMillis(stopDate);
  if (start === null || stop === null) return '–';
  const ms = Math.max(0, stop - start);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(3)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min ${s % 60} s` : `${m} min ${s % 60} s`;
}

// A JSON text pretty-printed when it parses, else as it is.
export function pretty(text) {
  if (text === undefined || text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

export const shortName = (arn) => String(arn).split(':').pop();
