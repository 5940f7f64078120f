import type { FileInfoResponse } from '../../protocol/files.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

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

/** The owner's page for a browser: what is stored and until when. No script, nothing secret. */
export function renderManagePage(info: FileInfoResponse): string {
  const rows: Array<[string, string]> = [
    ['File', info.id],
    ['Size', formatBytes(info.size_bytes)],
    ['Uploaded', info.created_at],
    ['Expires', info.expires_at],
    ['Downloads', info.max_downloads === null ? `${info.downloads}` : `${info.downloads} of ${info.max_downloads}`],
    ['Download link', info.download_url],
  ];
  const body = rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Blindvault: manage file</title></head>
<body>
<h1>Your encrypted file</h1>
<p>The server holds only ciphertext; the passphrase never left your device. Keep this page's address private: it lets its holder delete the file or change its limits.</p>
<table>
${body}
</table>
</body>
</html>
`;
}
