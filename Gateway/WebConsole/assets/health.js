// #/health: each destination the gateway sends to (Beam upstreams, Funnel adapters, the Harvest store), with its
// counts, when it last worked and failed, and why. Refreshed every 2 s.
import * as api from './api.js';
import { formatTime, h } from './dom.js';

/** Returns { nodes, refresh }: the page, and a refresh the caller runs on a timer. */
export async function healthView() {
  const body = h('tbody', {});
  const status = h('p', { class: 'hint', id: 'health-status' });

  async function refresh() {
    const destinations = await api.get('/v1/health/destinations');
    body.replaceChildren(...destinations.map((d) => h('tr', { dataset: { service: d.service, destination: d.destination, healthy: String(d.healthy) } },
      h('td', {}, d.service),
      h('td', {}, d.kind),
      h('td', { class: 'destination' }, d.destination),
      h('td', {}, h('span', { class: d.healthy ? 'state online' : 'state failing' }, d.healthy ? 'healthy' : 'failing')),
      h('td', { class: 'successes' }, String(d.successes)),
      h('td', { class: 'failures' }, String(d.failures)),
      h('td', {}, formatTime(d.lastSuccessTime)),
      h('td', {}, formatTime(d.lastFailureTime)),
      h('td', { class: d.healthy ? 'last-failure' : 'last-failure error' }, d.lastFailure ?? ''),
      h('td', {}, d.queued ?? ''))));
    status.textContent = destinations.length === 0
      ? 'Nothing sent anywhere yet since the gateway started.'
      : `Since the gateway started; updated ${new Date().toLocaleTimeString()}.`;
  }

  await refresh();
  return {
    nodes: [
      h('h1', {}, 'Destination health'),
      h('table', { id: 'health' },
        h('thead', {}, h('tr', {}, ['Service', 'Kind', 'Destination', 'State', 'Successes', 'Failures', 'Last success', 'Last failure', 'Last error', 'Queued']
          .map((t) => h('th', {}, t)))),
        body),
      status,
    ],
    refresh,
  };
}
