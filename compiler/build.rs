fn main() {
    // The grammar lives beside the lexer in src/syntax; lalrpop writes the
    // generated parser into OUT_DIR so nothing generated is committed.
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process()
        .unwrap_or_else(|e| panic!("lalrpop failed: {e}"));
}
