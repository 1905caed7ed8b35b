// The engine suite's page: records every uncaught error and unhandled rejection (classic WebDriver
// cannot read the console), runs the checks one after another and publishes the report on
// `window.engineReport` for whichever driver polls it (and the check running on `window.engineProgress`).
import { runChecks, type SuiteReport } from './checks.js';

declare global {
  interface Window { engineReport?: SuiteReport; engineProgress?: string }
}

const pageErrors: string[] = [];
addEventListener('error', (event) => {
  pageErrors.push(`${event.message} at ${event.filename}:${event.lineno}:${event.colno}`);
});
addEventListener('unhandledrejection', (event) => {
  const reason = event.reason as { stack?: string } | undefined;
  pageErrors.push(`unhandled rejection: ${reason?.stack ?? String(event.reason)}`);
});

const only = new URLSearchParams(location.search).get('only')?.split(',');
runChecks(only, (name) => { window.engineProgress = name; }).then(
  (report) => {
    window.engineReport = { ...report, pageErrors };
    document.getElementById('status')!.textContent = 'done';
  },
  (error: unknown) => {
    pageErrors.push(`suite failed: ${(error as Error)?.stack ?? String(error)}`);
    window.engineReport = { environment: {}, checks: [], pageErrors };
  },
);
