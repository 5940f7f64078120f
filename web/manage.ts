// The manage page (/f/{id}/manage?token=…): the server renders the file's state; this script lets the
// owner change the expiry and download limit and delete the file, with the token from the page's own
// address (sent as a bearer header, as the manage link itself already carries it).
import { byId, setStatus } from './messages.js';

const id = /^\/f\/([0-9a-f-]{36})\/manage$/.exec(location.pathname)?.[1];
const token = new URLSearchParams(location.search).get('token');
const api = `/f/${id ?? ''}/manage`;
const headers = { authorization: `Bearer ${token ?? ''}`, accept: 'application/json' };

interface FileInfo {
  expires_at: string;
  downloads: number;
  max_downloads: number | null;
}

function show(info: FileInfo): void {
  byId('manage-expires').textContent = info.expires_at;
  byId('manage-downloads').textContent = info.max_downloads === null ? `${info.downloads} (no limit)` : `${info.downloads} of ${info.max_downloads} (${Math.max(0, info.max_downloads - info.downloads)} left)`;
}

async function failure(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  return body.message ?? `The server answered ${response.status}.`;
}

byId<HTMLFormElement>('manage-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const hours = byId<HTMLInputElement>('manage-expires-in').value.trim();
  const limit = byId<HTMLInputElement>('manage-max-downloads').value.trim();
  const change: Record<string, number | null> = {};
  if (hours !== '') change.expires_in = Math.round(Number(hours) * 3600);
  if (limit !== '') change.max_downloads = limit === '0' ? null : Number(limit);
  if (Object.keys(change).length === 0) return setStatus('Nothing to change: fill in a field first.', 'error');
  setStatus('Saving…', 'working');
  void fetch(api, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(change) }).then(async (response) => {
    if (!response.ok) return setStatus(await failure(response), 'error');
    show((await response.json()) as FileInfo);
    setStatus('Saved.', 'done');
  });
});

byId<HTMLButtonElement>('delete-button').addEventListener('click', () => {
  if (!confirm('Delete this file now? Nobody will be able to download it again.')) return;
  setStatus('Deleting…', 'working');
  void fetch(api, { method: 'DELETE', headers }).then(async (response) => {
    if (response.status !== 204) return setStatus(await failure(response), 'error');
    byId('manage-form').hidden = true;
    byId('delete-button').hidden = true;
    setStatus('Deleted. The link no longer works.', 'done');
  });
});
