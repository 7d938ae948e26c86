// The live tail of one subscriber: polls GET /v1/subscribers/<imsi>/tail with the cursor it last got, once a second,
// and shows the newest messages first. The gateway keeps a subscriber's messages only while someone polls.
import * as api from './api.js';
import { h } from './dom.js';

const POLL_MS = 1000;
const KEEP = 50;

function payloadCell(entry) {
  const text = entry.payloadText;
  const shown = text !== undefined ? text : entry.payloadHex.replace(/(..)(?!$)/g, '$1 ');
  return h('td', { class: text !== undefined ? 'payload text' : 'payload hex', title: text !== undefined ? 'text' : 'hex' },
    shown, entry.payloadTruncated ? h('span', { class: 'hint' }, ` … (${entry.size} bytes)`) : null);
}

function resultsText(results) {
  return results.length === 0
    ? 'no service'
    : results.map((r) => `${r.service} ${r.status}${r.failure ? ` (${r.failure})` : ''}`).join(', ');
}

/** Returns { element, stop }; signedOut(error) is called when a poll finds the session gone. */
export function liveTail(imsi, signedOut) {
  const body = h('tbody', {});
  const status = h('p', { class: 'hint', id: 'tail-status' }, 'Watching…');
  const table = h('table', { id: 'tail' },
    h('thead', {}, h('tr', {}, ['Time', 'Entry point', 'Payload', 'Services'].map((t) => h('th', {}, t)))), body);
  let cursor = -1;
  let busy = false;
  let received = 0;

  async function poll() {
    if (busy) {
      return;
    }
    busy = true;
    try {
      const page = await api.get(`/v1/subscribers/${encodeURIComponent(imsi)}/tail?after=${cursor}`);
      cursor = page.cursor;
      for (const entry of page.entries) {
        received++;
        body.prepend(h('tr', { dataset: { sequence: String(entry.sequence) } },
          h('td', {}, new Date(entry.time).toLocaleTimeString()),
          h('td', {}, entry.entryPoint),
          payloadCell(entry),
          h('td', { class: entry.results.every((r) => r.status < 400) && entry.results.length > 0 ? '' : 'error' }, resultsText(entry.results))));
      }
      while (body.children.length > KEEP) {
        body.lastElementChild.remove();
      }
      const missed = page.missed > 0 ? ` ${page.missed} were overwritten before they could be shown.` : '';
      status.textContent = `${received} message${received === 1 ? '' : 's'} since this page opened (the latest ${KEEP} shown).${missed}`;
    } catch (e) {
      if (e instanceof api.SignedOut) {
        signedOut(e);
        return;
      }
      status.textContent = `Could not refresh the tail: ${e.message}`;
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(poll, POLL_MS);
  poll();
  return {
    element: h('section', {}, h('h2', {}, 'Live tail'), status, table),
    stop: () => clearInterval(timer),
  };
}
