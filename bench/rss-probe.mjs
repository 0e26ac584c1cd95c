// Preloaded into the action by bench/startup.ts (never shipped): writes the process's peak RSS, in KiB, on exit.
import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
