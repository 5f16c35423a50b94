// The console's entry point: the path says which page to show (see local/console/app.py for the routes).

import { CONSOLE, showError } from './api.js';
import { executionPage } from './execution.js';
import { listingPage } from './listing.js';
import { machinePage } from './machine.js';

async function route() {
  const main = document.getElementById('app');
  const path = window.location.pathname.slice(CONSOLE.length);
  const [kind, encoded] = path.split('/', 2);
  try {
    if (kind === 'state-machines' && encoded) await machinePage(main, decodeURIComponent(encoded));
    else if (kind === 'executions' && encoded) await executionPage(main, decodeURIComponent(encoded));
    else await listingPage(main);
  } catch (error) {
    showError(main, error);
  }
}

route();
