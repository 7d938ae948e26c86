// Groups and their configuration: one JSON text area per namespace, saved through the admin API. A refused save shows
// the registry's messages (each names the path of the invalid value) under the text area of that namespace.
import * as api from './api.js';
import { formatTime, h } from './dom.js';

const groupPath = (groupId) => `/v1/groups/${encodeURIComponent(groupId)}`;

/** The #/groups list. */
export async function groupsView() {
  const groups = await api.get('/v1/groups');
  if (groups.length === 0) {
    return [h('h1', {}, 'Groups'), h('p', {}, 'No groups yet: add one through the admin API (POST /v1/groups).')];
  }
  const rows = groups.map((g) => h('tr', { dataset: { groupId: g.groupId } },
    h('td', {}, h('a', { href: `#/groups/${encodeURIComponent(g.groupId)}` }, g.groupId)),
    h('td', {}, g.tags?.name ?? ''),
    h('td', {}, Object.keys(g.configuration ?? {}).join(', ') || '—'),
    h('td', {}, formatTime(g.lastModifiedTime))));
  return [
    h('h1', {}, 'Groups'),
    h('table', { id: 'groups' },
      h('thead', {}, h('tr', {}, ['Group ID', 'Name', 'Configured namespaces', 'Last modified'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)),
  ];
}

/** The #/groups/<id> page; signedOut(error) is called when a save finds the session gone. */
export async function groupView(groupId, signedOut) {
  const group = await api.get(groupPath(groupId));
  const editors = h('div', { id: 'namespaces' });
  for (const [ns, map] of Object.entries(group.configuration ?? {})) {
    editors.append(namespaceEditor(groupId, ns, map, signedOut));
  }

  const name = h('input', { id: 'new-namespace', placeholder: 'SoracomBeam', 'aria-label': 'Namespace' });
  const add = h('form', { id: 'add-namespace', class: 'bar' }, name, h('button', { type: 'submit' }, 'Add namespace'));
  add.addEventListener('submit', (event) => {
    event.preventDefault();
    const ns = name.value.trim();
    if (!ns) {
      return;
    }
    const existing = editors.querySelector(`form[data-namespace="${CSS.escape(ns)}"]`);
    const editor = existing ?? namespaceEditor(groupId, ns, {}, signedOut);
    if (!existing) {
      editors.append(editor);
    }
    name.value = '';
    editor.querySelector('textarea').focus();
  });

  return [
    h('p', {}, h('a', { href: '#/groups' }, '← Groups')),
    h('h1', {}, `Group ${group.groupId}`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', {}, group.tags?.name ?? '—'),
      h('dt', {}, 'Last modified'), h('dd', {}, formatTime(group.lastModifiedTime))),
    h('p', { class: 'hint' },
      'Each namespace is a JSON object of parameters. Secrets are shown as a mask: leave the mask to keep the stored secret. ',
      'Saving validates the change against the whole registry; nothing is written when it is refused.'),
    editors,
    h('h2', {}, 'Another namespace'),
    add,
  ];
}

function pretty(map) {
  return JSON.stringify(map, null, 2);
}

/**
 * The messages whose path is in this namespace. A refused group also leaves its subscribers pointing at a group the
 * registry could not read, and the registry says so too; those follow from the first and would only confuse here.
 */
function aboutNamespace(messages, groupId, ns) {
  const prefix = `groups[${groupId}].configuration.${ns}`;
  const own = messages.filter((m) => m.startsWith(prefix));
  return own.length > 0 ? own : messages;
}

function namespaceEditor(groupId, ns, map, signedOut) {
  // The keys last read from the gateway: a save deletes those no longer in the text (PUT only adds and replaces).
  let stored = map;
  const id = `ns-${ns}`;
  const text = h('textarea', { id, class: 'config', spellcheck: 'false', 'aria-describedby': `${id}-errors` });
  text.value = pretty(map);
  text.rows = Math.min(24, Math.max(4, text.value.split('\n').length + 1));
  const errors = h('ul', { class: 'error field-errors', id: `${id}-errors`, role: 'alert', hidden: true });
  const status = h('span', { class: 'hint', id: `${id}-status`, 'aria-live': 'polite' });
  const save = h('button', { type: 'submit' }, 'Save');
  const form = h('form', { class: 'card namespace', dataset: { namespace: ns } },
    h('h2', {}, h('label', { for: id }, ns)), text, errors, h('div', { class: 'bar' }, save, status));

  function showErrors(messages) {
    errors.replaceChildren(...messages.map((m) => h('li', {}, m)));
    errors.hidden = false;
    text.setAttribute('aria-invalid', 'true');
    status.textContent = 'Not saved.';
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let edited;
    try {
      edited = JSON.parse(text.value);
    } catch (e) {
      showErrors([`${ns}: not valid JSON: ${e.message}`]);
      return;
    }
    if (!edited || typeof edited !== 'object' || Array.isArray(edited)) {
      showErrors([`${ns}: must be a JSON object of parameters, {"name": value, …}`]);
      return;
    }
    save.disabled = true;
    status.textContent = 'Saving…';
    try {
      const base = `${groupPath(groupId)}/configuration/${encodeURIComponent(ns)}`;
      let group = await api.put(base, edited);
      const removed = Object.keys(stored).filter((key) => !Object.hasOwn(edited, key));
      for (const key of removed) {
        await api.del(`${base}/${encodeURIComponent(key)}`);
      }
      if (removed.length > 0) {
        group = await api.get(groupPath(groupId));
      }
      stored = group.configuration?.[ns] ?? {};
      text.value = pretty(stored);
      errors.hidden = true;
      text.removeAttribute('aria-invalid');
      status.textContent = `Saved ${new Date().toLocaleTimeString()}.`;
      form.dataset.saved = String(Date.now());
    } catch (e) {
      if (e instanceof api.SignedOut) {
        signedOut(e);
        return;
      }
      showErrors(aboutNamespace(e.errors ?? [e.message], groupId, ns));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
