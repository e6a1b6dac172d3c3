// One line of the runtime matrix (scripts/runtime-matrix.sh) from vitest's JSON reports of the unit tier and the
// smoke suite: PASS when every test passed, or failed only as scripts/runtime-matrix-known.json says this runtime
// does (each entry names the test and why). A failure not listed, a skipped test, a missing report, or a listed
// failure that now passes (the list must stay true) make it FAIL.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [name, version, seconds, unitFile, smokeFile, knownFile] = process.argv.slice(2);
const known = JSON.parse(readFileSync(knownFile, 'utf8'))[name] ?? [];
const problems = [];
const knownFailed = [];

function tier(label, file) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    problems.push(`${label}: no report (the run crashed or timed out)`);
    return `${label} -`;
  }
  let passed = 0;
  let total = 0;
  for (const suite of report.testResults) {
    const file = path.relative(process.cwd(), suite.name);
    for (const test of suite.assertionResults) {
      total++;
      const listed = known.find((k) => k.file === file && k.test === test.fullName);
      if (test.status === 'passed') {
        passed++;
        if (listed) problems.push(`${label}: listed as failing but passed: ${file} > ${test.fullName}`);
      } else if (test.status === 'failed' && listed) {
        knownFailed.push(listed);
      } else {
        problems.push(`${label}: ${test.status}: ${file} > ${test.fullName}`);
      }
    }
    // A file that failed to load has no assertions but a failed status.
    if (suite.status === 'failed' && suite.assertionResults.length === 0)
      problems.push(`${label}: ${file} did not run`);
  }
  return `${label} ${passed}/${total}`;
}

const counts = [tier('unit', unitFile), tier('smoke', smokeFile)].join(', ');
const reasons = [...new Set(knownFailed.map((k) => k.short))];
const knownText = knownFailed.length
  ? `; ${knownFailed.length} known failures (${reasons.join(', ')}: scripts/runtime-matrix-known.json, README)`
  : '';
const verdict = problems.length ? 'FAIL' : 'PASS';
console.log(`${name.padEnd(6)} ${version.padEnd(13)} ${verdict} ${counts} (${seconds} s)${knownText}`);
for (const problem of problems.slice(0, 15)) console.log(`         ${problem}`);
