/**
 * Label corrections on the mention feed: PATCH /api/mentions/:id {label}, then the row shows the
 * new label without a reload.
 */
import { api, toast } from './api.js';

const MARK = { negative: '▼', neutral: '●', positive: '▲', mixed: '◆' };

function showLabel(article, label, corrected) {
  article.dataset.label = label;
  const badge = article.querySelector('[data-testid="mention-label"]');
  if (!badge) return;
  badge.className = `badge label label-${label}`;
  badge.dataset.label = label;
  const mark = document.createElement('span');
  mark.setAttribute('aria-hidden', 'true');
  mark.textContent = MARK[label] ?? '○';
  const name = document.createElement('span');
  name.dataset.field = 'label';
  name.textContent = label;
  const parts = [mark, ' ', name];
  if (corrected) {
    const note = document.createElement('span');
    note.className = 'corrected';
    note.textContent = ' (corrected)';
    parts.push(note);
  }
  badge.replaceChildren(...parts);
}

async function saveLabel(button) {
  const form = button.closest('[data-label-form]');
  const article = button.closest('article[data-mention-id]');
  const select = form?.querySelector('select');
  if (!form || !article || !select) return;
  const id = article.dataset.mentionId;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const mention = await api('PATCH', `/api/mentions/${encodeURIComponent(id)}`, { label: select.value });
    const label = mention?.sentiment?.label ?? select.value;
    showLabel(article, label, mention?.labelCorrected ?? true);
    article.dataset.corrected = 'true';
    toast(`Mention #${id} is now labelled ${label}.`);
  } catch (error) {
    toast(`The label could not be saved: ${error.message}`, true);
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export function initMentions() {
  document.addEventListener('click', (event) => {
    const button =
      event.target instanceof Element ? event.target.closest('[data-action="save-label"]') : null;
    if (button) saveLabel(button);
  });
}
