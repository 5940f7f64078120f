// One look for every HTML page of the server (upload, file, manage): the same head, stylesheet and
// security headers. Scripts come only from our own hashed bundles, each with its SRI hash.
import { CONTENT_SECURITY_POLICY } from '../edge/security-headers.js';
import type { WebAssets } from '../../store/web-assets.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * The pages' Content-Security-Policy: the server's own policy (edge/security-headers.ts, on every answer)
 * plus exactly the sources a page needs: our own scripts, styles, fetches and workers, and the service
 * worker's download frame, all from this origin. No inline script or style, no eval.
 */
export const PAGE_CSP = [
  CONTENT_SECURITY_POLICY,
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "frame-src 'self'",
  "img-src 'self'",
].join('; ');

/**
 * The crypto worker's policy (a worker runs under the CSP of its own script's response): the page's,
 * plus 'wasm-unsafe-eval' because libsodium's WASM build (Argon2id for passphrases) compiles WebAssembly.
 */
export const WORKER_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");

export type PageScript = 'upload' | 'file' | 'manage';

export interface PageInput {
  title: string;
  /** Trusted HTML of the page's <main> (callers escape what they insert). */
  main: string;
  script?: PageScript;
}

export interface PageLayout {
  render(input: PageInput): string;
  csp: string;
}

export function createPageLayout(assets: WebAssets | undefined): PageLayout {
  const style = assets?.byName.get('style');
  const worker = assets?.byName.get('worker');
  return {
    csp: PAGE_CSP,
    render({ title, main, script }) {
      const bundle = script ? assets?.byName.get(script) : undefined;
      const head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        `<title>${escapeHtml(title)}</title>`,
        style ? `<link rel="stylesheet" href="${style.path}" integrity="${style.integrity}">` : '',
        bundle ? `<script type="module" src="${bundle.path}" integrity="${bundle.integrity}"></script>` : '',
      ].filter(Boolean);
      const data = worker && bundle ? ` data-worker="${worker.path}"` : '';
      return `<!doctype html>
<html lang="en">
<head>
${head.join('\n')}
</head>
<body${data}>
<header class="top"><a href="/" class="brand">Blindvault</a><span class="tagline">end-to-end encrypted file sharing</span></header>
<main id="main">
${main}
</main>
<footer class="foot"><p>Files are encrypted in your browser before they leave it. The server never sees the key.</p></footer>
</body>
</html>
`;
    },
  };
}
