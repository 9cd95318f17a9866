//! The requests: `initialize`, then each feature's request, answered from
//! the world of the document it names.

use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionParams, CompletionParams, DocumentFormattingParams, DocumentSymbolParams,
    DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse, HoverParams,
    InitializeParams, InitializeResult, PositionEncodingKind, ReferenceParams, ServerInfo, Uri,
};
use serde_json::Value;

use lsp_server::ErrorCode;

use super::super::document::Encoding;
use super::super::{capabilities, completion, hover, navigate, symbols, uri};
use super::{error, params, to_value, Reply, Server, State};

impl Server {
    pub(super) fn dispatch(&mut self, method: &str, params_value: Value) -> Reply {
        match method {
            req::HoverRequest::METHOD => {
                let p: HoverParams = params(params_value)?;
                let at = p.text_document_position_params;
                self.with_world(&at.text_document.uri, |w| {
                    let offset = w.doc.offset(at.position, w.encoding);
                    to_value(hover::hover(w, offset))
                })?
            }
            req::Completion::METHOD => {
                let p: CompletionParams = params(params_value)?;
                let at = p.text_document_position;
                let snippets = self.snippets;
                self.with_world(&at.text_document.uri, |w| {
                    let offset = w.doc.offset(at.position, w.encoding);
                    to_value(completion::complete(w, offset, snippets))
                })?
            }
            req::GotoDefinition::METHOD => {
                let p: GotoDefinitionParams = params(params_value)?;
                let at = p.text_document_position_params;
                self.with_world(&at.text_document.uri, |w| {
                    let offset = w.doc.offset(at.position, w.encoding);
                    let found = navigate::definition(w, offset);
                    if found.is_empty() {
                        Ok(Value::Null)
                    } else {
                        to_value(GotoDefinitionResponse::Array(found))
                    }
                })?
            }
            req::References::METHOD => {
                let p: ReferenceParams = params(params_value)?;
                let at = p.text_document_position;
                let declaration = p.context.include_declaration;
                self.with_world(&at.text_document.uri, |w| {
                    let offset = w.doc.offset(at.position, w.encoding);
                    to_value(navigate::references(w, offset, declaration))
                })?
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: DocumentSymbolParams = params(params_value)?;
                self.with_world(&p.text_document.uri, |w| {
                    let list = symbols::document_symbols(w.doc, &w.analysis.tokens, w.encoding);
                    to_value(DocumentSymbolResponse::Nested(list))
                })?
            }
            req::Formatting::METHOD => {
                let p: DocumentFormattingParams = params(params_value)?;
                self.with_world(&p.text_document.uri, |w| {
                    match crate::fmt::format(&w.doc.text) {
                        Ok(text) => to_value(
                            symbols::minimal_edit(w.doc, &text, w.encoding)
                                .into_iter()
                                .collect::<Vec<_>>(),
                        ),
                        Err(e) => Err(error(
                            ErrorCode::RequestFailed,
                            format!("not formatted: {e}"),
                        )),
                    }
                })?
            }
            req::CodeActionRequest::METHOD => {
                let p: CodeActionParams = params(params_value)?;
                let key = p.text_document.uri.as_str().to_owned();
                self.with_world(&p.text_document.uri, |w| {
                    let pairs = self.converted(&key, w.encoding);
                    to_value(symbols::quick_fixes(
                        w.uri, w.doc, w.encoding, p.range, &pairs,
                    ))
                })?
            }
            _ => Err(error(
                ErrorCode::MethodNotFound,
                format!("unknown request `{method}`"),
            )),
        }
    }

    pub(super) fn initialize(&mut self, value: Value) -> Reply {
        let p: InitializeParams = params(value)?;
        let offered = p
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref());
        let utf8 = offered.is_some_and(|list| list.contains(&PositionEncodingKind::UTF8));
        self.encoding = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        self.snippets = p
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        #[allow(deprecated)] // `root_uri` is the fallback for older clients
        let roots: Vec<Uri> = match (&p.workspace_folders, &p.root_uri) {
            (Some(folders), _) if !folders.is_empty() => {
                folders.iter().map(|f| f.uri.clone()).collect()
            }
            (_, Some(root)) => vec![root.clone()],
            _ => Vec::new(),
        };
        self.roots = roots.iter().filter_map(uri::to_path).collect();
        if let Some(events) = p
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("assumeEvents"))
            .and_then(Value::as_array)
        {
            self.assume_events = events
                .iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect();
        }
        self.state = State::Running;
        let capabilities = capabilities::server(utf8);
        to_value(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "upc".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        })
    }
}
