// Runs the reporter's src/main.js once per case read from stdin (a JSON list of base64
// results) and prints, per case, the notices and failure it produced (a JSON list).
"use strict";
const Module = require("module");
const path = require("path");

let record = null;
const core = {
  getInput: (name) => (process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "").trim(),
  notice: (message, properties) => record.notices.push({ message: String(message), title: properties && properties.title }),
  setFailed: (message) => { record.failed = String(message); },
};
class Table {
  constructor() { this.rows = []; }
  push(row) { this.rows.push(row); }
  toString() { return this.rows.map((r) => r.join(" | ")).join("\n"); }
}
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "@actions/core") return core;
  if (request === "cli-table3") return Table;
  return load.call(this, request, ...rest);
};

const main = path.join(__dirname, "src", "main.js");
const cases = JSON.parse(require("fs").readFileSync(0, "utf-8"));
const out = [];
const log = console.log, error = console.error;
for (const encoded of cases) {
  record = { notices: [], failed: null, log: [] };
  console.log = (...args) => record.log.push(args.join(" "));
  console.error = (...args) => record.log.push(args.join(" "));
  if (encoded === null) delete process.env.GRADCHECK_RESULTS;
  else process.env.GRADCHECK_RESULTS = encoded;
  process.env.INPUT_RUNNERS = "gradcheck";
  delete require.cache[main];
  require(main);
  console.log = log; console.error = error;
  out.push(record);
}
log(JSON.stringify(out));
