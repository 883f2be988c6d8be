/**
 * The dashboard's one entry module (the page's only script besides uPlot): charts, label
 * corrections, the alerts inbox, and the browser's time zone offered in the picker.
 */
import { initAlerts } from './alerts.js';
import { initCharts } from './charts.js';
import { initMentions } from './mentions.js';

function offerBrowserTimeZone() {
  const picker = document.getElementById('tz-picker');
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!picker || !zone || [...picker.options].some((o) => o.value === zone)) return;
  picker.add(new Option(`${zone.replaceAll('_', ' ')} (this device)`, zone), 1);
}

offerBrowserTimeZone();
initCharts();
initMentions();
initAlerts();
