#!/usr/bin/env node
// Prints wine.data's 13 features per row, standardised (each column to mean 0, variance 1) and
// rounded to float32: the rows the benchmarks feed a wine model that has no app module.
//   node tools/bench/standardise-wine.js examples/wine/data/wine.data > rows.csv
'use strict';
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n')
  .map((l) => l.split(',').slice(1).map(Number));
const m = rows[0].map((_, c) => rows.reduce((a, r) => a + r[c], 0) / rows.length);
const s = rows[0].map((_, c) => Math.sqrt(rows.reduce((a, r) => a + (r[c] - m[c]) ** 2, 0) / rows.length));
console.log(rows.map((r) => r.map((v, c) => Math.fround((v - m[c]) / s[c])).join(',')).join('\n'));
