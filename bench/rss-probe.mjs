// Preloaded into the action by bench/startup.ts (never shipped): writes the process's peak RSS, in KiB, on exit.
import { writeFileSync } from 'node:fs';

const rssFile = process.env['BENCH_RSS_FILE'];
if (!rssFile) throw new Error('bench/rss-probe.mjs: set BENCH_RSS_FILE to the file that receives the peak RSS.');
process.on('exit', () => writeFileSync(rssFile, String(process.resourceUsage().maxRSS)));
