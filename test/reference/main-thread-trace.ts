// Chromium's trace of a page's main thread: the categories to record, and the renderer main thread's
// tasks read from the trace (wall time, and the thread's CPU time: on a loaded machine wall time
// includes waiting for a core, CPU time is the work the page itself did). Shared by the e2e demo
// tests (Playwright) and the browser project (vitest browser commands in vitest.config.ts).

/** What Chromium records for the task list. */
export const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline'];

export interface TaskTime {
  /** ms from the task's start to its end. */
  wall: number;
  /** ms of CPU the thread spent in it. */
  cpu: number;
}

/** The tasks of the busiest renderer main thread in a trace (Chromium's JSON trace format). */
export function rendererMainTasks(trace: string): TaskTime[] {
  const { traceEvents } = JSON.parse(trace) as {
    traceEvents: { ph: string; name: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }[];
  };
  const main = new Set(traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = traceEvents.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`));
  // the page's renderer is the main thread that ran the most tasks meanwhile
  const counts = new Map<string, number>();
  for (const e of tasks) counts.set(`${e.pid}:${e.tid}`, (counts.get(`${e.pid}:${e.tid}`) ?? 0) + 1);
  const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return tasks.filter((e) => `${e.pid}:${e.tid}` === busiest).map((e) => ({ wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 }));
}
