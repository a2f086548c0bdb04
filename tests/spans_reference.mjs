// spans_reference.mjs — runs the web view's own timeline.js on cases read
// from a file and prints what it pairs, so that tests/spans_test.cpp can
// hold pair_spans() to the same answers.
//
//   node tests/spans_reference.mjs tools/serve/assets/timeline.js CASES.json
//
// CASES.json: [{"events": [event, …], "live": bool, "now": ms}, …], events
// in the library's JSON shape. Prints one JSON array: per case, its spans as
// timeline.js returns them (the fields pair_spans also has).
import { readFileSync } from 'node:fs';

const [timelinePath, casesPath] = process.argv.slice(2);
// A data: URL imports the module as it is, with no package.json around it
// to declare it an ES module.
const source = readFileSync(timelinePath, 'utf8');
const { spans } = await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));

const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const answers = cases.map((c) => spans(c.events, c.live, c.now).map((s) => ({
  family: s.family,
  label: s.label,
  openSeq: s.openSeq,
  closeSeq: s.closeSeq,
  start: s.start,
  end: s.end,
  cut: s.cut === true,
  open: s.open === true,
  moment: s.moment === true,
})));
process.stdout.write(JSON.stringify(answers));
