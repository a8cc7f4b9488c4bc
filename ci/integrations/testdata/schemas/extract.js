// node extract.js FILE MARKER
// Prints the object (JSON in a WASM module's data, or a JavaScript object
// literal in a bundle) that contains MARKER, as JSON. With a JSON marker
// the bytes are printed as they are; with a JavaScript one the literal is
// evaluated and printed with JSON.stringify.
'use strict';
const fs = require('fs');
const [file, marker] = process.argv.slice(2);
const src = fs.readFileSync(file, 'latin1');
const at = src.indexOf(marker);
if (at < 0) throw new Error(`${file}: ${marker} not found`);
const start = src.startsWith('{', at) ? at : src.lastIndexOf('{', at);
let depth = 0, quote = null, end = -1;
for (let i = start; i < src.length && end < 0; i++) {
  const c = src[i];
  if (quote) {
    if (c === '\\') i++;
    else if (c === quote) quote = null;
  } else if (c === '"' || c === "'" || c === '`') {
    quote = c;
  } else if (c === '{') {
    depth++;
  } else if (c === '}' && --depth === 0) {
    end = i + 1;
  }
}
if (end < 0) throw new Error(`${file}: the object at ${start} does not end`);
const text = Buffer.from(src.slice(start, end), 'latin1').toString('utf8');
if (marker.startsWith('"')) {
  JSON.parse(text); // it must be JSON already
  process.stdout.write(text + '\n');
} else {
  process.stdout.write(JSON.stringify((0, eval)('(' + text + ')'), null, 2) + '\n');
}
