/**
 * The alerts inbox: acknowledge, resolve and assign an incident through the alerts API, then show
 * its new state in place.
 */
import { api, toast, visibleText } from './api.js';

function showIncident(article, incident) {
  article.dataset.status = incident.status;
  const status = article.querySelector('[data-field="status"]');
  if (status) {
    status.textContent = incident.status;
    status.className = `badge status status-${incident.status}`;
  }
  const assignee = article.querySelector('[data-field="assignee"]');
  if (assignee) {
    const value = document.createElement(incident.assignee ? 'bdi' : 'span');
    if (incident.assignee) {
      value.dir = 'auto';
      value.textContent = visibleText(incident.assignee);
    } else {
      value.className = 'muted';
      value.textContent = 'nobody';
    }
    assignee.replaceChildren(value);
  }
  const ack = article.querySelector('[data-action="ack"]');
  const resolve = article.querySelector('[data-action="resolve"]');
  if (ack) ack.disabled = incident.status !== 'open';
  if (resolve) resolve.disabled = incident.status === 'resolved';
}

const DONE = { ack: 'acknowledged', resolve: 'resolved', assign: 'assigned' };

async function act(button) {
  const article = button.closest('[data-incident-id]');
  if (!article) return;
  const id = encodeURIComponent(article.dataset.incidentId);
  const action = button.dataset.action;
  let request;
  if (action === 'ack') request = ['POST', `/api/alerts/${id}/ack`, {}];
  else if (action === 'resolve') request = ['POST', `/api/alerts/${id}/resolve`, {}];
  else if (action === 'assign') {
    const value = article.querySelector('input[name="assignee"]')?.value.trim() ?? '';
    request = ['PATCH', `/api/alerts/${id}`, { assignee: value === '' ? null : value }];
  } else return;
  const wasDisabled = button.disabled;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const incident = await api(...request);
    showIncident(article, incident);
    toast(`Incident #${article.dataset.incidentId} ${DONE[action]}.`);
  } catch (error) {
    button.disabled = wasDisabled;
    toast(`That did not work: ${error.message}`, true);
  } finally {
    button.removeAttribute('aria-busy');
  }
}

export function initAlerts() {
  document.addEventListener('click', (event) => {
    const button =
      event.target instanceof Element ? event.target.closest('[data-incident-id] [data-action]') : null;
    if (button) act(button);
  });
  // Enter in the assignee field assigns.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !(event.target instanceof HTMLInputElement)) return;
    if (event.target.name !== 'assignee') return;
    const button = event.target.closest('[data-incident-id]')?.querySelector('[data-action="assign"]');
    if (button) {
      event.preventDefault();
      act(button);
    }
  });
}
