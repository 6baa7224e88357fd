// Allure 3 report for `hil run`: one self-contained HTML file that opens from file://.
import { defineConfig } from 'allure';

export default defineConfig({
  name: 'hilrig',
  output: './reports/html',
  plugins: {
    awesome: {
      options: { singleFile: true, reportName: 'hilrig brownout campaign', groupBy: ['parentSuite', 'suite', 'subSuite'] },
    },
  },
});
