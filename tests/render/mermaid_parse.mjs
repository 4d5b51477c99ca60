import { JSDOM } from "jsdom";
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window; globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
  const r = await mermaid.parse(text);
  console.log(JSON.stringify({ok: true, type: r.diagramType}));
} catch (e) { console.log(JSON.stringify({ok: false, error: String(e.message || e).slice(0, 500)})); process.exitCode = 1; }
