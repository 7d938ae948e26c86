// The admin API as the console uses it: sign in with an auth key, keep the API key and token in sessionStorage
// (gone when the tab closes), send them on every request. A 401 means the token expired or was revoked: the
// session is dropped and the caller is told, so the page can show the sign-in form again.

const STORAGE_KEY = 'gateway.console.session';

export class SignedOut extends Error {}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
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
  return new ApiError(response.status, body?.code ?? '', message);
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
export async function get(path) {
  const s = session();
  if (!s) {
    throw new SignedOut('not signed in');
  }
  const response = await fetch(path, {
    headers: { 'X-Soracom-API-Key': s.apiKey, 'X-Soracom-Token': s.token, Accept: 'application/json' },
  });
  if (response.status === 401) {
    signOut();
    throw new SignedOut('the session has expired; sign in again');
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return response.json();
}
