// Saving text the API answered once (a manifest carrying a secret) as a file, through a Blob URL: the content
// never passes through a URL the history keeps, nor through any storage.

/**
 * How long the Blob URL outlives the click. The browser fetches it after the click returns, and a slow or
 * busy browser may do so late; revoking it at once can cancel the download. Afterwards the secret is no
 * longer reachable through the URL.
 */
const REVOKE_AFTER_MS = 40_000;

/** Offers `text` as a download named `filename`. */
export function downloadText(filename: string, text: string, type = 'application/yaml'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}
