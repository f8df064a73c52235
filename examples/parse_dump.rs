fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let src = std::fs::read_to_string(&path).unwrap_or_default();
    match pol::syntax::parse(&src) {
        Ok(f) => println!("ok: {} items", f.items.len()),
        Err(es) => {
            for e in es {
                println!("{:?}", e.to_diagnostic());
            }
        }
    }
}
