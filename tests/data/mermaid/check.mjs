import { JSDOM } from 'jsdom';
import { readFileSync } from 'node:fs';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
const text = readFileSync(process.argv[2], 'utf8');
try {
  await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db;
  const vertices = [...db.getVertices().values()].map(v => ({ id: v.id, text: v.text, classes: v.classes }));
  const edges = db.getEdges().map(e => ({ start: e.start, end: e.end, text: e.text, style: e.style }));
  const subgraphs = (db.getSubGraphs ? db.getSubGraphs() : []).map(s => ({ id: s.id, title: s.title, nodes: s.nodes }));
  console.log(JSON.stringify({ type: diagram.type, title: db.getDiagramTitle ? db.getDiagramTitle() : null, vertices, edges, subgraphs }));
} catch (e) { console.error('mermaid could not parse it: ' + e.message); process.exit(1); }
