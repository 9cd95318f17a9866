// The Upstart extension: registers the language (package.json does the
// grammar and the file associations) and starts `upc lsp` as the language
// server. Plain JavaScript, so packaging needs no compiler.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function settings() {
  const config = vscode.workspace.getConfiguration('upc');
  return {
    path: config.get('path') || 'upc',
    assumeEvents: config.get('assumeEvents') || [],
    filePatterns: config.get('filePatterns') || [],
  };
}

// Files matching `upc.filePatterns` open as Upstart job files.
function claim(document) {
  if (document.languageId === 'upstart' || document.uri.scheme !== 'file') {
    return;
  }
  const patterns = settings().filePatterns;
  const matches = patterns.some((pattern) => vscode.languages.match({ pattern }, document) > 0);
  if (matches) {
    vscode.languages.setTextDocumentLanguage(document, 'upstart');
  }
}

function start() {
  const { path, assumeEvents } = settings();
  const serverOptions = {
    command: path,
    args: ['lsp'],
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [{ language: 'upstart' }],
    initializationOptions: { assumeEvents },
    synchronize: {
      // Job files changed on disk change the job set.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{conf,override}'),
    },
  };
  client = new LanguageClient('upc', 'Upstart (upc lsp)', serverOptions, clientOptions);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Could not start \`${path} lsp\`: ${error.message}. Set "upc.path" to the upc program.`
    );
  });
}

async function restart() {
  if (client) {
    await client.stop();
    client = undefined;
  }
  await start();
}

function activate(context) {
  vscode.workspace.textDocuments.forEach(claim);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(claim),
    vscode.commands.registerCommand('upc.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('upc.path') || event.affectsConfiguration('upc.assumeEvents')) {
        restart();
      }
      if (event.affectsConfiguration('upc.filePatterns')) {
        vscode.workspace.textDocuments.forEach(claim);
      }
    })
  );
  return start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
