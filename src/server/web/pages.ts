// The HTML of the upload page (/) and the file page (/f/{id}). Static markup: the scripts fill it in.
// Every control has a label; status lines are live regions; the stable data-testids are the tests' handles.

export const UPLOAD_PAGE = `<h1>Share a file, encrypted</h1>
<p class="lead">The file is encrypted in this browser before upload. The link carries the key after <code>#</code>, which browsers never send to a server.</p>
<form id="upload-form" class="card" novalidate>
  <div class="drop" id="drop">
    <label for="file-input" class="drop-label">Choose a file <span class="hint">or drop it here</span></label>
    <input type="file" id="file-input" name="file" data-testid="file-input" aria-describedby="file-summary">
    <p id="file-summary" class="hint"></p>
  </div>
  <fieldset>
    <legend>Options</legend>
    <div class="field">
      <label for="expires">Expires after</label>
      <select id="expires" aria-describedby="expires-hint"></select>
      <p id="expires-hint" class="hint"></p>
    </div>
    <div class="field">
      <label for="downloads">Download limit</label>
      <input type="number" id="downloads" min="1" step="1" inputmode="numeric" aria-describedby="downloads-hint">
      <p id="downloads-hint" class="hint"></p>
    </div>
    <div class="field">
      <label for="passphrase-input">Passphrase <span class="hint">(optional)</span></label>
      <input type="password" id="passphrase-input" data-testid="passphrase-input" autocomplete="new-password" aria-describedby="passphrase-hint">
      <p id="passphrase-hint" class="hint">With a passphrase the link holds no key: send the passphrase separately. Without one, the link alone opens the file.</p>
    </div>
    <div class="field">
      <label for="format">Format</label>
      <select id="format" aria-describedby="format-hint">
        <option value="v2" selected>v2: streamed, any size (recommended)</option>
        <option value="v1">v1: legacy, for the seed's Python snippet (needs a passphrase, at most 256 MiB)</option>
      </select>
      <p id="format-hint" class="hint">v1 uses a weaker key derivation and encrypts in one piece in memory: choose it only when the recipient needs it.</p>
    </div>
  </fieldset>
  <button type="submit" id="upload-button" data-testid="upload-button" class="primary">Encrypt and upload</button>
  <button type="button" id="resume-button" class="secondary" hidden>Resume upload</button>
</form>
<div id="progress-block" class="progress-block" hidden>
  <progress id="progress" max="1000" value="0" aria-label="Upload progress"></progress>
  <p id="progress-text" class="hint" aria-live="off"></p>
</div>
<p id="status" data-testid="status" role="status" aria-live="polite" data-state="idle"></p>
<section id="result" class="card" hidden aria-labelledby="result-title">
  <h2 id="result-title">Your link is ready</h2>
  <label for="share-link">Download link</label>
  <div class="copy-row">
    <input id="share-link" data-testid="share-link" readonly>
    <button type="button" id="copy-button" class="secondary">Copy link</button>
  </div>
  <p id="copy-status" class="hint" role="status" aria-live="polite"></p>
  <canvas id="qr" role="img" aria-label="QR code of the download link"></canvas>
  <p id="result-limits" class="hint"></p>
  <p>Manage link, for you alone (see downloads, change limits, delete): <a id="manage-link" href="/" rel="noreferrer">manage this file</a></p>
</section>`;

export const FILE_PAGE = `<h1>Download a file</h1>
<p class="lead">The file is decrypted in this browser. The key after <code>#</code> in the link never reaches the server.</p>
<section class="card" aria-labelledby="file-title">
  <h2 id="file-title">Encrypted file</h2>
  <dl class="facts">
    <dt>Size</dt><dd id="file-size">…</dd>
    <dt>Expires</dt><dd id="file-expires">…</dd>
    <dt>Downloads left</dt><dd id="file-downloads-left">…</dd>
    <dt>Format</dt><dd id="file-format">…</dd>
    <dt>Saved with</dt><dd id="file-sink">…</dd>
  </dl>
  <form id="download-form" novalidate>
    <div class="field" id="passphrase-field" hidden>
      <label for="passphrase-input">Passphrase</label>
      <input type="password" id="passphrase-input" data-testid="passphrase-input" autocomplete="off">
    </div>
    <button type="submit" id="download-button" data-testid="download-button" class="primary" disabled>Download and decrypt</button>
  </form>
</section>
<div id="progress-block" class="progress-block" hidden>
  <progress id="progress" max="1000" value="0" aria-label="Download progress"></progress>
  <p id="progress-text" class="hint" aria-live="off"></p>
</div>
<p id="status" data-testid="status" role="status" aria-live="polite" data-state="idle"></p>
<p id="save-link-row" hidden><a id="save-link" href="/" download>Save the decrypted file</a></p>`;
