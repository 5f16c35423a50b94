#!/usr/bin/env node
/*
 * Diagnostics of the ASL language service of the AWS Toolkit for VS Code (npm amazon-states-language-service)
 * for many definitions in ONE node process (python -m local validate starts it once).
 *
 * Input: file paths as arguments (node asl-service.js workflows/x/statemachine.asl.json ...), or, without
 * arguments, a JSON array on stdin [{"file": "workflows/x/statemachine.asl.json", "text": "<definition>"}, ...]
 * (validate sends the definitions with their substitutions filled in, as Workflow Studio opens them).
 * Output (stdout): a JSON array [{"file", "diagnostics": [{"line", "column", "severity", "message", "path"}]}],
 * with 1-based line and column and the JSON path (keys and indexes) of the node the diagnostic is on.
 */
'use strict';

const fs = require('fs');
const asl = require('amazon-states-language-service');
const { TextDocument } = require('vscode-languageserver-textdocument');

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

function pathOf(node) {
  const path = [];
  for (let current = node; current && current.parent; current = current.parent) {
    const parent = current.parent;
    if (parent.type === 'property' && parent.keyNode) {
      if (path[0] !== parent.keyNode.value) path.unshift(parent.keyNode.value);
    } else if (parent.type === 'array') {
      path.unshift(parent.items.indexOf(current));
    }
  }
  return path;
}

async function diagnose(service, entry) {
  const document = TextDocument.create(`file:///${entry.file}`, 'json', 1, entry.text);
  const json = service.parseJSONDocument(document);
  const found = await service.doValidation(document, json);
  return found.map((diagnostic) => {
    const offset = document.offsetAt(diagnostic.range.start);
    const node = json.getNodeFromOffset(offset, true);
    return {
      line: diagnostic.range.start.line + 1,
      column: diagnostic.range.start.character + 1,
      severity: SEVERITY[diagnostic.severity] || 'error',
      message: diagnostic.message,
      path: node ? pathOf(node) : [],
    };
  });
}

async function readEntries() {
  const files = process.argv.slice(2);
  if (files.length) return files.map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '[]');
}

async function main() {
  const entries = await readEntries();
  const service = asl.getLanguageService({});
  const results = [];
  for (const entry of entries) {
    results.push({ file: entry.file, diagnostics: await diagnose(service, entry) });
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(2);
});
