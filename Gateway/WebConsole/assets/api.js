// The admin API as the console uses it: sign in with an auth key, keep the API key and token in sessionStorage
// (gone when the tab closes), send them on every request. A 401 means the token expired or was revoked: the
// session is dropped and the caller is told, so the page can show the sign-in form again.

const STORAGE_KEY = 'gateway.console.session';

export class SignedOut extends Error {}

export class ApiError extends Error {
  /** errors: every message of a refused change (the registry names the path of each invalid value). */
  constructor(status, code, message, errors) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors?.length ? errors : [message];
  }
}

export function session() {
  const text = sessionStorage.getItem(STORAGE_KEY);
  return text ? JSON.parse(text) : null;
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: the status line says enough.
  }
  const message = body?.message ?? `${response.status} ${response.statusText}`;
  return new ApiError(response.status, body?.code ?? '', message, body?.errors);
}

export async function signIn(authKeyId, authKey) {
  const response = await fetch('/v1/auth', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ authKeyId, authKey }),
  });
  if (!response.ok) {
    throw await errorFrom(response);
  }
  const body = await response.json();
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ apiKey: body.apiKey, token: body.token, authKeyId }));
}

/** GET a path of the admin API (with its query already encoded) and return the parsed JSON. */
export function get(path) {
  return request('GET', path);
}

/** PUT a JSON body; returns the parsed response. */
export function put(path, body) {
  return request('PUT', path, body);
}

/** DELETE; returns null (the API answers 204). */
export function del(path) {
  return request('DELETE', path);
}

async function request(method, path, body) {
  const s = session();
  if (!s) {
    throw new SignedOut('not signed in');
  }
  const headers = { 'X-Soracom-API-Key': s.apiKey, 'X-Soracom-Token': s.token, Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    signOut();
    throw new SignedOut('the session has expired; sign in again');
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return response.status === 204 ? null : response.json();
}
