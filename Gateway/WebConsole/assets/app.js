// The console's pages, chosen by the URL's hash: #/subscribers, #/subscribers/<imsi>, #/groups, #/groups/<id>, #/health;
// the sign-in form whenever there is no session.
import * as api from './api.js';
import { lineChart, numericSeries } from './chart.js';
import { formatTime, h } from './dom.js';
import { groupView, groupsView } from './groups.js';
import { healthView } from './health.js';
import { liveTail } from './tail.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const REFRESH_MS = 2000;
const RANGES = [
  { id: '15m', label: 'Last 15 min', ms: 15 * 60 * 1000 },
  { id: '1h', label: 'Last 1 h', ms: 60 * 60 * 1000 },
  { id: '24h', label: 'Last 24 h', ms: 24 * 60 * 60 * 1000 },
];

// The page now shown stops its timers when another replaces it.
let leave = () => {};

function show(...children) {
  leave();
  leave = () => {};
  main.replaceChildren(...children);
}

function errorBox(message) {
  return h('p', { class: 'error', role: 'alert' }, message);
}

/** Runs a page; a lost session goes back to the sign-in form with the reason. */
async function guard(page) {
  try {
    await page();
  } catch (e) {
    if (e instanceof api.SignedOut) {
      signInPage(e.message);
    } else {
      show(errorBox(e.message));
    }
  }
}

function signInPage(reason) {
  nav.hidden = true;
  const message = h('p', { class: 'error', role: 'alert', id: 'sign-in-error', hidden: !reason }, reason ?? '');
  const keyId = h('input', { id: 'auth-key-id', name: 'authKeyId', autocomplete: 'username', required: true });
  const key = h('input', { id: 'auth-key', name: 'authKey', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { id: 'sign-in', class: 'card' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'hint' }, 'With an auth key: the root key is in the data directory, or one made through the admin API.'),
    h('label', { for: 'auth-key-id' }, 'Auth key ID'), keyId,
    h('label', { for: 'auth-key' }, 'Auth key secret'), key,
    submit, message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.hidden = true;
    try {
      await api.signIn(keyId.value.trim(), key.value);
      location.hash = '#/subscribers';
      route();
    } catch (e) {
      message.textContent = e.status === 401 ? 'Sign-in failed: the auth key ID or secret is wrong.' : `Sign-in failed: ${e.message}`;
      message.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  show(form);
  keyId.focus();
}

function sessionText(session) {
  const state = session?.online ? 'online' : 'offline';
  const connections = session?.connections ? `, ${session.connections} connection${session.connections === 1 ? '' : 's'} open` : '';
  return `${state}${connections}; last seen ${formatTime(session?.lastUpdatedAt)}`;
}

/** SORACOM's sessionStatus as the gateway fills it: online (a live connection or seen lately), lastUpdatedAt. */
function onlineCell(session) {
  const online = session?.online === true;
  return h('td', {}, h('span', { class: online ? 'state online' : 'state offline' }, online ? 'online' : 'offline'));
}

async function subscribersPage() {
  const table = h('tbody', {});
  const status = h('p', { class: 'hint', id: 'subscribers-status' });
  const pageHint = h('p', { class: 'hint' });

  async function refresh() {
    const [subscribers, resources] = await Promise.all([
      api.get('/v1/subscribers'),
      // Harvest's resources say when each device last sent data; without Harvest permission the column stays empty.
      api.get('/v1/data/metadata/resources?resource_type=Subscriber&limit=1000').catch((e) => {
        if (e instanceof api.SignedOut) {
          throw e;
        }
        return [];
      }),
    ]);
    const lastData = new Map(resources.map((r) => [r.resourceId, r.lastModifiedTime]));
    table.replaceChildren(...subscribers.map((s) => h('tr', { dataset: { imsi: s.imsi, online: String(s.sessionStatus?.online === true) } },
      h('td', {}, h('a', { href: `#/subscribers/${encodeURIComponent(s.imsi)}` }, s.imsi)),
      h('td', {}, s.tags?.name ?? ''),
      h('td', {}, s.groupId ?? '—'),
      h('td', {}, s.ipAddress ?? '—'),
      onlineCell(s.sessionStatus),
      h('td', { class: 'last-seen' }, formatTime(s.sessionStatus?.lastUpdatedAt)),
      h('td', {}, formatTime(lastData.get(s.imsi))))));
    status.textContent = subscribers.length === 0
      ? 'No subscribers yet: add one through the admin API (POST /v1/subscribers).'
      : `Updated ${new Date().toLocaleTimeString()}.`;
    pageHint.textContent = subscribers.length >= 1000 ? 'The first 1,000 subscribers, in IMSI order.' : '';
  }

  await refresh();
  show(
    h('h1', {}, 'Subscribers'),
    // The admin API pages its lists (1,000 by default, in IMSI order); the console shows the first page.
    pageHint,
    h('table', { id: 'subscribers' },
      h('thead', {}, h('tr', {}, ['IMSI', 'Name', 'Group', 'IP address', 'State', 'Last seen', 'Last data'].map((t) => h('th', {}, t)))),
      table),
    status);
  const timer = setInterval(() => refresh().catch((e) => {
    if (e instanceof api.SignedOut) {
      signInPage(e.message);
    } else {
      status.textContent = `Could not refresh: ${e.message}`;
    }
  }), REFRESH_MS);
  leave = () => clearInterval(timer);
}

async function subscriberPage(imsi) {
  const subscriber = await api.get(`/v1/subscribers/${encodeURIComponent(imsi)}`);
  let range = RANGES.find((r) => r.id === sessionStorage.getItem('gateway.console.range')) ?? RANGES[0];
  const charts = h('div', { id: 'charts', class: 'charts', 'aria-live': 'polite' });
  const status = h('p', { class: 'hint', id: 'data-status' });
  const logs = h('div', { id: 'logs' });
  const state = h('dd', { id: 'session-state' }, sessionText(subscriber.sessionStatus));
  const picker = h('select', { id: 'range', 'aria-label': 'Time range' },
    RANGES.map((r) => h('option', { value: r.id, selected: r === range }, r.label)));
  picker.addEventListener('change', () => {
    range = RANGES.find((r) => r.id === picker.value);
    sessionStorage.setItem('gateway.console.range', range.id);
    refresh();
  });

  let busy = false;
  async function refresh() {
    if (busy) {
      return;
    }
    busy = true;
    try {
      const to = Date.now();
      const from = to - range.ms;
      const [entries, errors, current] = await Promise.all([
        api.get(`/v1/data/Subscriber/${encodeURIComponent(imsi)}?from=${from}&to=${to}&sort=asc&limit=1000`),
        api.get(`/v1/logs?resource_type=Subscriber&resource_id=${encodeURIComponent(imsi)}&limit=50`),
        api.get(`/v1/subscribers/${encodeURIComponent(imsi)}`),
      ]);
      state.textContent = sessionText(current.sessionStatus);
      drawCharts(entries, from, to);
      drawLogs(errors);
    } catch (e) {
      if (e instanceof api.SignedOut) {
        signInPage(e.message);
        return;
      }
      status.textContent = `Could not refresh: ${e.message}`;
    } finally {
      busy = false;
    }
  }

  function drawCharts(entries, from, to) {
    const series = numericSeries(entries);
    status.textContent = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} in range${entries.length === 1000 ? ' (the latest 1000 shown)' : ''}; updated ${new Date(to).toLocaleTimeString()}`;
    charts.replaceChildren(...(series.size === 0
      ? [h('p', { class: 'empty' }, 'No numeric Harvest data in this range.')]
      : [...series].map(([field, points]) => h('figure', { class: 'card' }, h('figcaption', {}, field), lineChart(field, points, from, to)))));
  }

  function drawLogs(entries) {
    logs.replaceChildren(entries.length === 0
      ? h('p', { class: 'empty' }, 'No errors logged for this subscriber.')
      : h('table', { id: 'error-log' },
        h('thead', {}, h('tr', {}, ['Time', 'Service', 'Status', 'Message'].map((t) => h('th', {}, t)))),
        h('tbody', {}, entries.map((e) => h('tr', {},
          h('td', {}, formatTime(e.time)), h('td', {}, e.service), h('td', {}, String(e.body?.statusCode ?? '')),
          h('td', {}, e.body?.message ?? ''))))));
  }

  const tail = liveTail(imsi, (e) => signInPage(e.message));
  show(
    h('p', {}, h('a', { href: '#/subscribers' }, '← Subscribers')),
    h('h1', {}, `Subscriber ${subscriber.imsi}`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', {}, subscriber.tags?.name ?? '—'),
      h('dt', {}, 'State'), state,
      h('dt', {}, 'Group'), h('dd', {}, subscriber.groupId ?? '—'),
      h('dt', {}, 'IP address'), h('dd', {}, subscriber.ipAddress ?? '—')),
    h('section', {}, h('div', { class: 'bar' }, h('h2', {}, 'Harvest data'), picker), status, charts),
    tail.element,
    h('section', {}, h('h2', {}, 'Error log'), logs));
  const timer = setInterval(refresh, REFRESH_MS);
  leave = () => {
    clearInterval(timer);
    tail.stop();
  };
  await refresh();
}

async function healthPage() {
  const view = await healthView();
  show(...view.nodes);
  const timer = setInterval(() => view.refresh().catch((e) => {
    if (e instanceof api.SignedOut) {
      signInPage(e.message);
    }
  }), REFRESH_MS);
  leave = () => clearInterval(timer);
}

function route() {
  if (!api.session()) {
    signInPage();
    return;
  }
  nav.hidden = false;
  const subscriber = /^#\/subscribers\/([^/]+)$/.exec(location.hash);
  const group = /^#\/groups\/([^/]+)$/.exec(location.hash);
  if (subscriber) {
    guard(() => subscriberPage(decodeURIComponent(subscriber[1])));
  } else if (group) {
    guard(async () => show(...await groupView(decodeURIComponent(group[1]), (e) => signInPage(e.message))));
  } else if (location.hash === '#/health') {
    guard(healthPage);
  } else if (location.hash === '#/groups') {
    guard(async () => show(...await groupsView()));
  } else {
    guard(subscribersPage);
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  api.signOut();
  location.hash = '';
  signInPage();
});
window.addEventListener('hashchange', route);
route();
