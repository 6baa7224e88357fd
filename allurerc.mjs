// Allure 3 report for `hil run`: one self-contained HTML file that opens from file://.
// `hil run` sets the HIL_ALLURE_* variables before `allure generate`: Allure's own history (one
// JSONL line per run, per campaign, capped at the campaign's history.keep; history ids are keyed
// by board, see src/nightly/allure-results.ts) and the report header's variables (campaign, gate).
import { defineConfig } from 'allure';

const historyPath = process.env.HIL_ALLURE_HISTORY;
const historyLimit = Number(process.env.HIL_ALLURE_HISTORY_LIMIT) || undefined;
let variables = {};
try {
  variables = JSON.parse(process.env.HIL_ALLURE_VARIABLES ?? '{}');
} catch {
  // a hand-run `allure generate` with a stray variable: no header variables
}

export default defineConfig({
  name: 'hilrig',
  output: './reports/html',
  ...(historyPath && { historyPath, ...(historyLimit && { historyLimit }) }),
  variables,
  plugins: {
    awesome: {
      options: { singleFile: true, reportName: 'hilrig brownout campaign', groupBy: ['parentSuite', 'suite', 'subSuite'] },
    },
  },
});
