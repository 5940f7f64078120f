import type { FileInfoResponse } from '../../protocol/files.js';
import { escapeHtml, type PageLayout } from '../web/layout.js';

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The owner's page for a browser, in the look of the other pages: what is stored and until when, read
 * without any script; changing the limits and deleting need the page's script (web/manage.ts).
 */
export function renderManagePage(info: FileInfoResponse, layout: PageLayout): string {
  const downloads = info.max_downloads === null ? `${info.downloads} (no limit)` : `${info.downloads} of ${info.max_downloads} (${Math.max(0, info.max_downloads - info.downloads)} left)`;
  const rows: Array<[string, string, string]> = [
    ['File', info.id, 'manage-id'],
    ['Size', formatBytes(info.size_bytes), 'manage-size'],
    ['Uploaded', info.created_at, 'manage-created'],
    ['Expires', info.expires_at, 'manage-expires'],
    ['Downloads', downloads, 'manage-downloads'],
  ];
  const facts = rows.map(([k, v, id]) => `<dt>${escapeHtml(k)}</dt><dd id="${id}">${escapeHtml(v)}</dd>`).join('\n');
  const main = `<h1>Your encrypted file</h1>
<p class="lead">The server holds only ciphertext; the key never left your device. Keep this page's address private: it lets its holder delete the file or change its limits.</p>
<section class="card" aria-labelledby="facts-title">
<h2 id="facts-title">State</h2>
<dl class="facts">
${facts}
</dl>
</section>
<form id="manage-form" class="card" novalidate>
  <h2>Change</h2>
  <div class="field">
    <label for="manage-expires-in">Expire in (hours from now)</label>
    <input type="number" id="manage-expires-in" min="0.02" step="any" inputmode="decimal">
  </div>
  <div class="field">
    <label for="manage-max-downloads">Download limit <span class="hint">(0 for no limit)</span></label>
    <input type="number" id="manage-max-downloads" min="0" step="1" inputmode="numeric">
  </div>
  <button type="submit" class="secondary">Save changes</button>
</form>
<button type="button" id="delete-button" data-testid="delete-button" class="danger">Delete now</button>
<p id="status" data-testid="status" role="status" aria-live="polite" data-state="idle"></p>`;
  return layout.render({ title: 'Blindvault: manage file', main, script: 'manage' });
}
